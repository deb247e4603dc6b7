// Notebook renderer half of the stand-in, in the notebook's output webview.
// It runs the ipywidgets 8 widget manager the Jupyter extension ships (npm
// @vscode/jupyter-ipywidgets8, copied in as ipywidgets8.js when the tests set
// up) on a kernel proxy whose messages travel through renderer messaging to
// extension.js and the real kernel. anywidget's front end (its nbextension,
// wrapped as anywidget-amd.js) is the one widget module it can load.
const WIDGET_MIME = 'application/vnd.jupyter.widget-view+json';

// The bundle defines its modules with window.define and loads widget classes
// with window.requirejs: a registry of named AMD modules is enough.
const modules = new Map();
function define(name, deps, factory) {
  if (typeof name !== 'string') return;
  if (typeof deps === 'function') [deps, factory] = [[], deps];
  modules.set(name, { deps: deps || [], factory, loaded: false, value: undefined });
}
define.amd = true;
function load(name) {
  const module = modules.get(name);
  if (!module) throw new Error(`no AMD module ${name}`);
  if (!module.loaded) {
    module.value = module.factory(...module.deps.map(load));
    module.loaded = true;
  }
  return module.value;
}
window.define = define;
window.requirejs = (names, ok, fail) => {
  try {
    ok(...names.map(load));
  } catch (error) {
    if (fail) fail(error);
    else throw error;
  }
};
window.undef = (name) => modules.delete(name);

// What the manager connects to on a kernel: Lumino-like signals.
class Signal {
  constructor(sender) {
    this.sender = sender;
    this.slots = [];
  }
  connect(slot, owner) {
    this.slots.push([slot, owner]);
    return true;
  }
  disconnect(slot, owner) {
    this.slots = this.slots.filter(([s, o]) => s !== slot || o !== owner);
    return true;
  }
  emit(args) {
    for (const [slot, owner] of [...this.slots]) slot.call(owner, this.sender, args);
  }
}

const newId = () => crypto.randomUUID().replace(/-/g, '');

class Future {
  constructor(msgId) {
    this.msg = { header: { msg_id: msgId } };
    this.onReply = null;
    this.onIOPub = null;
    this.onStdin = null;
    this.isDisposed = false;
    this.done = new Promise((resolve) => (this.finish = resolve));
  }
  dispose() {
    this.isDisposed = true;
  }
}

class Comm {
  constructor(kernel, targetName, commId) {
    Object.assign(this, { kernel, targetName, commId, onMsg: null, onClose: null, isDisposed: false });
  }
  open(data, metadata, buffers) {
    return this.kernel.sendShell('comm_open', { comm_id: this.commId, target_name: this.targetName, data }, metadata, buffers);
  }
  send(data, metadata, buffers) {
    return this.kernel.sendShell('comm_msg', { comm_id: this.commId, data }, metadata, buffers);
  }
  close(data, metadata, buffers) {
    this.kernel.comms.delete(this.commId);
    return this.kernel.sendShell('comm_close', { comm_id: this.commId, data }, metadata, buffers);
  }
  dispose() {
    this.isDisposed = true;
    this.kernel.comms.delete(this.commId);
  }
}

class KernelProxy {
  constructor(context, log) {
    Object.assign(this, { context, log, id: 'stand-in', clientId: newId(), username: 'stand-in', name: 'python3' });
    Object.assign(this, { status: 'idle', connectionStatus: 'connected', handleComms: true, serverSettings: {} });
    this.model = { id: this.id, name: this.name };
    for (const name of ['statusChanged', 'connectionStatusChanged', 'iopubMessage', 'unhandledMessage', 'anyMessage', 'disposed', 'pendingInput']) {
      this[name] = new Signal(this);
    }
    this.targets = new Map();
    this.comms = new Map();
    this.futures = new Map();
  }
  registerCommTarget(name, callback) {
    this.targets.set(name, callback);
  }
  removeCommTarget(name) {
    this.targets.delete(name);
  }
  hasComm(id) {
    return this.comms.has(id);
  }
  createComm(targetName, commId = newId()) {
    const comm = new Comm(this, targetName, commId);
    this.comms.set(commId, comm);
    return comm;
  }
  requestCommInfo(content) {
    const future = this.sendShell('comm_info_request', content);
    return new Promise((resolve) => (future.onReply = resolve));
  }
  sendShell(msgType, content, metadata = {}, buffers) {
    if (buffers && buffers.length) this.log(`${msgType}: ${buffers.length} binary buffer(s) dropped (not relayed by the stand-in)`);
    const msgId = newId();
    const future = new Future(msgId);
    this.futures.set(msgId, future);
    this.context.postMessage({ type: 'shell', msg_type: msgType, msg_id: msgId, content, metadata });
    return future;
  }
  async handle(msg) {
    if (msg.buffersAreBase64) {
      msg.buffers = msg.buffers.map((b64) => new DataView(Uint8Array.from(atob(b64), (c) => c.charCodeAt(0)).buffer));
    }
    const parent = msg.parent_header && msg.parent_header.msg_id;
    const future = parent && this.futures.get(parent);
    if (msg.channel === 'shell') {
      if (future && future.onReply) future.onReply(msg);
      return;
    }
    const type = msg.header.msg_type;
    const content = msg.content;
    if (type === 'comm_open') {
      const target = this.targets.get(content.target_name);
      if (target) await target(this.createComm(content.target_name, content.comm_id), msg);
    } else if (type === 'comm_msg') {
      const comm = this.comms.get(content.comm_id);
      if (comm && comm.onMsg) await comm.onMsg(msg);
    } else if (type === 'comm_close') {
      const comm = this.comms.get(content.comm_id);
      this.comms.delete(content.comm_id);
      if (comm && comm.onClose) await comm.onClose(msg);
    } else if (type === 'status') {
      this.status = content.execution_state;
      this.statusChanged.emit(this.status);
    }
    if (future && future.onIOPub) await future.onIOPub(msg);
    if (future && type === 'status' && content.execution_state === 'idle') {
      future.finish();
      this.futures.delete(parent);
    }
    this.iopubMessage.emit(msg);
  }
}

let ready;

export async function activate(context) {
  const log = (text) => context.postMessage({ type: 'log', text: String(text) });
  ready = (async () => {
    const bundle = await import(new URL('./ipywidgets8.js', import.meta.url).href);
    bundle.activate();
    window.vscIPyWidgets8.load();
    const kernel = new KernelProxy(context, log);
    const scripts = {
      widgetsRegisteredInRequireJs: new Set(),
      async loadWidgetScript(moduleName, version) {
        if (moduleName !== 'anywidget') throw new Error(`the stand-in has no front end for ${moduleName}@${version}`);
        await import(new URL('./anywidget-amd.js', import.meta.url).href);
      },
      successHandler() {},
      errorHandler(className, moduleName, version, error) {
        log(`cannot load ${moduleName}.${className}@${version}: ${error}`);
      }
    };
    const manager = new window.vscIPyWidgets.WidgetManager(kernel, document.createElement('div'), scripts, log, undefined);
    // The comm messages sent before this renderer started come first (replay), then live ones, in order.
    let chain = Promise.resolve();
    let replayed;
    const replay = new Promise((resolve) => (replayed = resolve));
    context.onDidReceiveMessage((message) => {
      chain = chain
        .then(async () => {
          if (message.type === 'replay') {
            for (const msg of message.msgs) await kernel.handle(msg);
            replayed();
          } else if (message.type === 'kernel') {
            await replay;
            await kernel.handle(message.msg);
          }
        })
        .catch((error) => log(`message failed: ${(error && error.stack) || error}`));
    });
    context.postMessage({ type: 'ready' });
    await replay;
    return { manager, settled: () => chain };
  })();
  ready.catch((error) => log(`renderer failed to start: ${(error && error.stack) || error}`));

  return {
    async renderOutputItem(item, element) {
      const { model_id: modelId } = item.json();
      element.textContent = 'Loading widget…';
      try {
        const { manager, settled } = await ready;
        await settled();
        let model;
        for (let tries = 0; !model; tries++) {
          // the model's comm_open may still be on its way
          try {
            model = await manager.get_model(modelId);
          } catch (error) {
            if (tries >= 50) throw error;
            await new Promise((resolve) => setTimeout(resolve, 100));
            await settled();
          }
        }
        const view = await manager.create_view(model);
        element.textContent = '';
        await manager.display_view(undefined, view, { node: element });
      } catch (error) {
        element.textContent = `Error displaying widget: ${error}`;
        log(`render failed: ${(error && error.stack) || error}`);
      }
    },
    disposeOutputItem() {}
  };
}

export { WIDGET_MIME };
