/**
 * The transport of hosts that speak the side panel's protocol (`PanelRequest`
 * and `PanelReply` in messages.ts): the JupyterLab panel over its comm,
 * VS Code over its kernel API. Such a host implements `IPanelLink` (ask,
 * get the reply of that type) and gets a `PanelTransport` per graph; every
 * reply that carries state becomes an update of the graph's session.
 */
import { GraphJSON } from './graph';
import { GraphReply, PanelReply, PanelRequest, PictureJSON } from './messages';
import {
  GraphRequest,
  IAnswers,
  IGraphTransport,
  IGraphUpdate,
  IStepsAnswer,
  RequestOf
} from './transport';
import { isGraphBundleJSON, isGraphJSON } from './validators.generated';

/** The reply of one type, e.g. `ReplyOf<'graph'>` is a `GraphReply`. */
export type ReplyOf<T extends PanelReply['type']> = Extract<PanelReply, { type: T }>;

/** A host's link to the kernel in the panel's protocol. */
export interface IPanelLink {
  /** Send ``data``; resolves with the kernel's first reply of type ``replyType``. */
  request<T extends PanelReply['type']>(data: PanelRequest, replyType: T): Promise<ReplyOf<T>>;
}

/** A graph reply whose bundle this version cannot read. */
export class UnreadableGraph extends Error {
  constructor() {
    super('The kernel sent a graph this version cannot read.');
  }
}

export class PanelTransport implements IGraphTransport {
  constructor(
    private readonly _link: IPanelLink,
    readonly id: string
  ) {}

  snapshot(): IGraphUpdate {
    return { ...this._state };
  }

  listen(listener: (update: IGraphUpdate) => void): () => void {
    this._listeners.add(listener);
    return () => this._listeners.delete(listener);
  }

  request<T extends GraphRequest['type']>(request: RequestOf<T>): Promise<IAnswers[T]> {
    return this._request(request) as Promise<IAnswers[T]>;
  }

  private async _request(request: GraphRequest): Promise<IAnswers[GraphRequest['type']]> {
    const { id } = this;
    switch (request.type) {
      case 'graph':
        return this._take(await this._link.request({ type: 'get', id }, 'graph'));
      case 'view':
        return this._take(
          await this._link.request({ type: 'build', id, view: request.view }, 'graph')
        );
      case 'values': {
        const reply = await this._link.request(
          { type: 'values', id, view: request.view },
          'values'
        );
        // filed under the view the reply names: two views' replies may cross
        return this._push({ values: { ...this._state.values, [reply.view]: reply.values } });
      }
      case 'layout':
        return this._layout(request);
      case 'steps':
        return this._steps(request.view);
      case 'source':
        return this._link.request({ type: 'source', id, name: request.name }, 'source');
      case 'dot':
        return (await this._link.request({ ...request, id }, 'dot')).dot;
      default:
        throw new Error(`${request.type} is not offered here`);
    }
  }

  /** A picture: of the view as shown (also an update), or of a stepper snapshot. */
  private async _layout(request: RequestOf<'layout'>): Promise<PictureJSON> {
    const reply = await this._link.request({ ...request, id: this.id }, 'layout');
    const picture: PictureJSON = { svg: reply.svg, meta: reply.meta, error: reply.error };
    if (request.step !== undefined && request.step !== null) {
      return picture;
    }
    if (reply.error) {
      throw new Error(reply.error); // the picture on screen stays
    }
    this._push({
      pictures: { ...this._state.pictures, [request.view]: picture },
      expanded: { ...this._state.expanded, [request.view]: request.expanded }
    });
    return picture;
  }

  private async _steps(view: string): Promise<IStepsAnswer> {
    const reply = await this._link.request({ type: 'steps', id: this.id, view }, 'steps');
    const snapshots: Record<string, GraphJSON> = {};
    for (const [step, graph] of Object.entries(reply.snapshots)) {
      if (isGraphJSON(graph)) {
        snapshots[step] = graph;
      }
    }
    return { start: isGraphJSON(reply.start) ? reply.start : null, snapshots };
  }

  /** What a `graph` reply says, as an update. */
  private _take(reply: GraphReply): void {
    if (!isGraphBundleJSON(reply.bundle)) {
      throw new UnreadableGraph();
    }
    this._push({
      bundle: reply.bundle,
      offers: reply.offers,
      pictures: reply.layouts,
      pending: reply.pending,
      steps: reply.steps
    });
  }

  private _push(update: IGraphUpdate): void {
    this._state = { ...this._state, ...update };
    for (const listener of Array.from(this._listeners)) {
      listener(update);
    }
  }

  private _state: IGraphUpdate = {};
  private _listeners = new Set<(update: IGraphUpdate) => void>();
}
