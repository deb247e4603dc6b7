import { Signal } from '@lumino/signaling';
import { Kernel, KernelMessage } from '@jupyterlab/services';
import { gzipSync } from 'zlib';

import {
  ICommLike,
  IKernelLike,
  KernelLink,
  OPEN_RETRY_MS
} from '../../../labextension/src/lab/kernellink';
import { GraphReply } from '../../../labextension/src/common/messages';
import { PanelModel } from '../../../labextension/src/lab/panelmodel';
import { bundle, entry, NASTY, offers, SVG_COLLAPSED, viewValues } from '../fixtures';

/** A reply as the kernel's `wire.wire` sends a big one: base64 of gzip of its JSON. */
const packed = (reply: unknown) => ({
  type: 'packed',
  reply: gzipSync(Buffer.from(JSON.stringify(reply), 'utf-8')).toString('base64')
});

/** Settle every unpacking in flight (each takes a few turns of the event loop). */
const settle = () => new Promise(resolve => setTimeout(resolve, 50));
/** Wait until ``done`` holds (unpacking takes longer on a busy machine), at most 5 s. */
async function until(done: () => boolean): Promise<void> {
  for (let waited = 0; !done() && waited < 5000; waited += 10) {
    await new Promise(resolve => setTimeout(resolve, 10));
  }
}

class FakeComm implements ICommLike {
  opened: unknown[] = [];
  sent: unknown[] = [];
  closed = false;
  isDisposed = false;
  onMsg: (msg: KernelMessage.ICommMsgMsg) => void = () => undefined;
  onClose: (msg: KernelMessage.ICommCloseMsg) => void = () => undefined;
  open(data: unknown) {
    this.opened.push(data);
  }
  send(data: unknown) {
    this.sent.push(data);
  }
  close() {
    this.closed = true;
  }
  /** The kernel answers on the comm. */
  reply(data: unknown) {
    this.onMsg({ content: { comm_id: 'c', data } } as KernelMessage.ICommMsgMsg);
  }
}

class FakeKernel implements IKernelLike {
  readonly statusChanged: Signal<IKernelLike, Kernel.Status> = new Signal(this);
  readonly iopubMessage: Signal<IKernelLike, KernelMessage.IIOPubMessage> = new Signal(this);
  comms: FakeComm[] = [];
  constructor(readonly id: string) {}
  createComm(target: string): FakeComm {
    expect(target).toBe('tgraph');
    const comm = new FakeComm();
    this.comms.push(comm);
    return comm;
  }
}

function linked() {
  const model = new PanelModel();
  const link = new KernelLink(model);
  const kernel = new FakeKernel('k1');
  link.attach(kernel);
  return { model, link, kernel, comm: kernel.comms[0] };
}

describe('KernelLink', () => {
  it('opens the comm with a list request and fills the model from the reply', () => {
    const { model, comm } = linked();
    expect(comm.opened).toEqual([{ type: 'list' }]);
    expect(model.status).toBe('connecting');
    comm.reply({
      type: 'entries',
      entries: [entry('g1', 'f', { framework: 'tinyexpr' })],
      dropped: 2
    });
    expect(model.status).toBe('ready');
    expect(model.entries.map(e => e.framework)).toEqual(['tinyexpr']);
    expect(model.dropped).toBe(2);
  });

  it('answers each request with the reply of its type and graph', async () => {
    const { link, comm } = linked();
    const dot = link.request({ type: 'dot', id: 'g2', view: 'original', expanded: [] }, 'dot');
    const layout = link.request(
      { type: 'layout', id: 'g1', view: 'optimized', expanded: ['c'] },
      'layout'
    );
    expect(comm.sent).toEqual([
      { type: 'dot', id: 'g2', view: 'original', expanded: [] },
      { type: 'layout', id: 'g1', view: 'optimized', expanded: ['c'] }
    ]);
    comm.reply({ type: 'layout', id: 'g1', view: 'optimized', step: null, svg: '<svg/>' });
    comm.reply({ type: 'dot', id: 'g1', view: 'original', step: null, dot: 'digraph wrong {}' });
    comm.reply({ type: 'dot', id: 'g2', view: 'original', step: null, dot: 'digraph g2 {}' });
    expect((await layout).svg).toBe('<svg/>');
    expect((await dot).dot).toBe('digraph g2 {}');
  });

  it('passes a view’s values on, and drops a malformed values reply', async () => {
    const { link, comm } = linked();
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    const asked = link.request({ type: 'values', id: 'g1', view: 'original' }, 'values');
    comm.reply({ type: 'values', id: 'g1', view: 'original', values: { view: 'original' } });
    expect(warn).toHaveBeenCalledTimes(1);
    comm.reply({ type: 'values', id: 'g1', view: 'original', values: viewValues() });
    expect((await asked).values.first_nonfinite?.node).toBe('mul');
    warn.mockRestore();
  });

  it('unpacks a packed graph reply to exactly the reply the kernel packed', async () => {
    const { link, comm } = linked();
    const reply: GraphReply = {
      type: 'graph',
      id: 'g1',
      bundle: { ...bundle(), target: NASTY } as unknown as GraphReply['bundle'],
      offers: offers(),
      layouts: { original: { svg: SVG_COLLAPSED, meta: { visible: 5, collapsed: ['f'] } } },
      pending: { gradient: { task: 'differentiating', started: null } },
      steps: { optimized: 2 }
    };
    const asked = link.request({ type: 'get', id: 'g1' }, 'graph');
    comm.reply(packed(reply));
    expect(await asked).toEqual(reply);
  });

  it('keeps the order of packed and plain messages, and skips one that does not unpack', async () => {
    const { model, comm } = linked();
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    comm.reply(packed({ type: 'entries', entries: [entry('g1', 'old')], dropped: 0 }));
    comm.reply({ type: 'packed', reply: 'bm90IGd6aXA=' }); // base64, but not of gzip
    comm.reply({ type: 'entries', entries: [entry('g2', 'new')], dropped: 1 });
    expect(model.status).toBe('connecting'); // the plain listing waits for the packed one
    await until(() => warn.mock.calls.length === 1 && model.entries[0]?.name === 'new');
    await settle(); // and nothing older lands after it
    expect(model.entries.map(e => e.name)).toEqual(['new']);
    expect(model.dropped).toBe(1);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0][0])).toContain('could not unpack');
    comm.reply({ type: 'entries', entries: [entry('g3', 'next')], dropped: 0 });
    expect(model.entries.map(e => e.name)).toEqual(['next']); // nothing in line: at once
    warn.mockRestore();
  });

  it('drops a packed reply that arrives after a restart', async () => {
    const { model, kernel, comm } = linked();
    comm.reply(packed({ type: 'entries', entries: [entry('g1', 'before')], dropped: 0 }));
    kernel.statusChanged.emit('restarting');
    await settle();
    expect(model.entries).toHaveLength(0);
    expect(model.status).toBe('connecting');
  });

  it('ignores messages the panel does not define', () => {
    const { model, comm } = linked();
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    comm.reply({ type: 'execute', code: 'import os' });
    comm.reply({ type: 'entries', entries: [{ id: 3 }], dropped: 0 });
    expect(warn).toHaveBeenCalledTimes(2);
    expect(model.status).toBe('connecting');
    warn.mockRestore();
  });

  it('says the extension is not loaded when the kernel closes the comm', async () => {
    const { model, link, comm } = linked();
    comm.onClose({} as KernelMessage.ICommCloseMsg);
    expect(model.status).toBe('not-loaded');
    await expect(link.request({ type: 'get', id: 'g1' }, 'graph')).rejects.toThrow(
      'tgraph is not loaded in this kernel'
    );
  });

  it('clears on restart and asks again once code ran and the kernel is idle', () => {
    const { model, kernel, comm } = linked();
    comm.reply({ type: 'entries', entries: [entry('g1', 'f')], dropped: 0 });
    kernel.statusChanged.emit('restarting');
    expect(model.entries).toHaveLength(0);
    expect(model.status).toBe('connecting');
    kernel.statusChanged.emit('idle');
    expect(kernel.comms).toHaveLength(2);
    expect(kernel.comms[1].opened).toEqual([{ type: 'list' }]);
  });

  it('opens again when a just-restarted kernel never answers the open', () => {
    jest.useFakeTimers();
    try {
      const { model, kernel, comm } = linked();
      comm.reply({ type: 'entries', entries: [], dropped: 0 });
      jest.advanceTimersByTime(OPEN_RETRY_MS * 2);
      expect(kernel.comms).toHaveLength(1); // answered: no second open
      kernel.statusChanged.emit('restarting');
      kernel.statusChanged.emit('idle');
      expect(kernel.comms).toHaveLength(2);
      jest.advanceTimersByTime(OPEN_RETRY_MS);
      expect(kernel.comms).toHaveLength(3); // the open was lost: asked again
      expect(kernel.comms[1].closed).toBe(true);
      kernel.comms[2].onClose({} as KernelMessage.ICommCloseMsg);
      expect(model.status).toBe('not-loaded');
      jest.advanceTimersByTime(OPEN_RETRY_MS * 2);
      expect(kernel.comms).toHaveLength(3);
    } finally {
      jest.useRealTimers();
    }
  });

  it('follows another kernel and closes the old comm', () => {
    const { model, link, comm } = linked();
    const other = new FakeKernel('k2');
    link.attach(other);
    expect(comm.closed).toBe(true);
    expect(model.kernelId).toBe('k2');
    expect(other.comms).toHaveLength(1);
    link.attach(null);
    expect(model.status).toBe('no-kernel');
  });
});
