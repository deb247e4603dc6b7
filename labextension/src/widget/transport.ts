/**
 * The inline widget's transport (common/transport.ts): requests go to the
 * kernel's widget as anywidget custom messages (`WidgetRequest`), answers
 * come back as synced traits, each change an update of the graph session;
 * a rewrite's source comes back as a custom message. Expanding a subgraph
 * sets the synced `expanded` trait, which the kernel lays out.
 */
import { SourceReply } from '../common/messages';
import {
  GraphRequest,
  IAnswers,
  IGraphTransport,
  IGraphUpdate,
  RequestOf
} from '../common/transport';
import { isSourceReply } from '../common/validators.generated';
import { IWidgetModel, Traits } from './widgetmodel';

/** Per trait, the part of the session's state it sets. */
const UPDATES: Record<string, (t: Traits) => IGraphUpdate> = {
  bundle: t => ({ bundle: t.bundle, offers: t.offers }),
  offers: t => ({ offers: t.offers }),
  svg: t => ({ pictures: picturesOf(t) }),
  layouts: t => ({ pictures: picturesOf(t) }),
  expanded: t => ({ expanded: t.expanded }),
  pending: t => ({ pending: t.pending }),
  status: t => ({ status: t.status }),
  error: t => ({ error: t.error }),
  devices: t => ({ devices: t.devices }),
  timings: t => ({ timings: t.timings }),
  busy: t => ({ busy: t.busy }),
  timing_error: t => ({ timingError: t.timingError }),
  profile: t => ({ profile: t.profile }),
  autorun: t => ({ autorun: t.autorun }),
  values: t => ({ values: t.values })
};

/** Each view's SVG with its layout's meta. */
function picturesOf(traits: Traits): IGraphUpdate['pictures'] {
  const layouts = traits.layouts;
  return Object.fromEntries(
    Object.entries(traits.svg).map(([view, svg]) => [view, { svg, meta: layouts[view] ?? {} }])
  );
}

export class WidgetTransport implements IGraphTransport {
  constructor(private readonly _model: IWidgetModel) {
    this._traits = new Traits(_model);
  }

  snapshot(): IGraphUpdate {
    return Object.assign({}, ...Object.values(UPDATES).map(read => read(this._traits)));
  }

  listen(listener: (update: IGraphUpdate) => void): () => void {
    const handlers = Object.entries(UPDATES).map(([trait, read]): [string, () => void] => [
      `change:${trait}`,
      () => listener(read(this._traits))
    ]);
    for (const [event, handler] of handlers) {
      this._model.on(event, handler);
    }
    return () => {
      for (const [event, handler] of handlers) {
        this._model.off(event, handler);
      }
    };
  }

  request<T extends GraphRequest['type']>(request: RequestOf<T>): Promise<IAnswers[T]> {
    return this._request(request) as Promise<IAnswers[T]>;
  }

  private async _request(request: GraphRequest): Promise<IAnswers[GraphRequest['type']]> {
    switch (request.type) {
      case 'graph':
        return; // the traits hold it
      case 'layout':
        if (request.step !== undefined && request.step !== null) {
          throw new Error('the inline widget has no rewrite stepper');
        }
        this._expand(request.view, request.expanded);
        return null; // the picture comes as the svg and layouts traits
      case 'source':
        return this._source(request.name);
      case 'steps':
      case 'dot':
        throw new Error(`the inline widget does not offer ${request.type}`);
      default:
        this._model.send(request);
    }
  }

  /** Ask for a layout with these subgraphs open: the kernel follows the synced trait. */
  private _expand(view: string, expanded: string[]): void {
    this._model.set('expanded', { ...this._traits.expanded, [view]: expanded });
    this._model.save_changes();
  }

  /** A rewrite's source: the kernel answers with a custom message. */
  private _source(name: string): Promise<SourceReply> {
    if (!this._listening) {
      this._listening = true;
      this._model.on('msg:custom', (content: unknown) => {
        if (isSourceReply(content)) {
          this._sources.get(content.name)?.(content);
          this._sources.delete(content.name);
        }
      });
    }
    return new Promise<SourceReply>(resolve => {
      this._sources.set(name, resolve);
      this._model.send({ type: 'source', name });
    });
  }

  private _traits: Traits;
  private _sources = new Map<string, (reply: SourceReply) => void>();
  private _listening = false;
}
