/**
 * The transport of hosts speaking the panel's protocol (the JupyterLab comm,
 * VS Code's kernel API): each graph request becomes the panel request, and
 * each reply an update of the session or the answer.
 */
import { PanelReply, PanelRequest } from '../../../labextension/src/common/messages';
import {
  IPanelLink,
  PanelTransport,
  ReplyOf,
  UnreadableGraph
} from '../../../labextension/src/common/paneltransport';
import { GraphSession } from '../../../labextension/src/common/session';
import { IGraphUpdate } from '../../../labextension/src/common/transport';
import { bundle, graph, offers, viewValues } from '../fixtures';

/** A link whose replies ``reply`` makes; the requests are recorded. */
function link(reply: (data: PanelRequest) => PanelReply) {
  const sent: PanelRequest[] = [];
  const fake: IPanelLink = {
    request<T extends PanelReply['type']>(data: PanelRequest, type: T): Promise<ReplyOf<T>> {
      sent.push(data);
      const answer = reply(data);
      return answer.type === type
        ? Promise.resolve(answer as ReplyOf<T>)
        : Promise.reject(new Error(`no ${type} reply`));
    }
  };
  return { fake, sent };
}

const graphReply = (over: object = {}): PanelReply => ({
  type: 'graph',
  id: 'g1',
  bundle: { ...bundle() },
  offers: offers(),
  layouts: { original: { svg: '<svg/>', meta: {} } },
  pending: {},
  steps: { optimized: 2 },
  ...over
});

describe('PanelTransport', () => {
  it('loads the graph with `get` and builds a view with `build`, each reply an update', async () => {
    const { fake, sent } = link(() => graphReply());
    const transport = new PanelTransport(fake, 'g1');
    const updates: IGraphUpdate[] = [];
    transport.listen(u => updates.push(u));
    const session = new GraphSession(transport);
    await session.load();
    await session.buildView('gradient');
    expect(sent).toEqual([
      { type: 'get', id: 'g1' },
      { type: 'build', id: 'g1', view: 'gradient' }
    ]);
    expect(updates.map(u => Object.keys(u))).toEqual([
      ['bundle', 'offers', 'pictures', 'pending', 'steps'],
      ['bundle', 'offers', 'pictures', 'pending', 'steps']
    ]);
    expect(session.state.pictures.original.svg).toBe('<svg/>');
    expect(session.state.steps).toEqual({ optimized: 2 });
  });

  it('refuses a graph whose bundle this version cannot read', async () => {
    const { fake } = link(() => graphReply({ bundle: { target: 'f' } }));
    const session = new GraphSession(new PanelTransport(fake, 'g1'));
    await expect(session.load()).rejects.toBeInstanceOf(UnreadableGraph);
  });

  it('files values under the view the reply names', async () => {
    const { fake } = link(() => ({
      type: 'values',
      id: 'g1',
      view: 'optimized', // crossed with another request
      values: viewValues({ view: 'optimized' })
    }));
    const session = new GraphSession(new PanelTransport(fake, 'g1'));
    await session.askValues('original');
    expect(Object.keys(session.state.values)).toEqual(['optimized']);
  });

  it('lays out a view as shown (an update) and a stepper snapshot (an answer)', async () => {
    const { fake, sent } = link(data => ({
      type: 'layout',
      id: 'g1',
      view: 'original',
      step: data.type === 'layout' ? (data.step ?? null) : null,
      svg: '<svg id="new"/>'
    }));
    const session = new GraphSession(new PanelTransport(fake, 'g1'));
    await session.expand('original', ['comp']);
    expect(session.state.pictures.original.svg).toBe('<svg id="new"/>');
    expect(session.state.expanded).toEqual({ original: ['comp'] });
    expect((await session.stepPicture('optimized', 2))!.svg).toBe('<svg id="new"/>');
    expect(sent[1]).toEqual({ type: 'layout', view: 'optimized', step: 2, expanded: [], id: 'g1' });
  });

  it('keeps the picture when the kernel could not lay it out, and says why', async () => {
    const { fake } = link(() => ({
      type: 'layout',
      id: 'g1',
      view: 'original',
      step: null,
      error: '1200 nodes would be visible'
    }));
    const session = new GraphSession(new PanelTransport(fake, 'g1'));
    await expect(session.expand('original', ['comp'])).rejects.toThrow('1200 nodes');
    expect(session.state.pictures).toEqual({});
  });

  it('answers the stepper with the snapshots that are graphs', async () => {
    const { fake } = link(() => ({
      type: 'steps',
      id: 'g1',
      view: 'optimized',
      start: { ...graph() },
      snapshots: { '3': { ...graph() }, '4': { nodes: 'x' } }
    }));
    const answer = await new PanelTransport(fake, 'g1').request({
      type: 'steps',
      view: 'optimized'
    });
    expect(answer.start).toEqual(graph());
    expect(Object.keys(answer.snapshots)).toEqual(['3']);
  });

  it('does not offer timing', async () => {
    const { fake } = link(() => graphReply());
    await expect(new PanelTransport(fake, 'g1').request({ type: 'devices' })).rejects.toThrow(
      'devices is not offered here'
    );
  });
});
