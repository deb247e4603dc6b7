// Extension host half of the stand-in for Microsoft's Jupyter extension:
//  - a NotebookController for .ipynb that runs cells on a real kernel (kernel.js);
//  - the widget renderer's link to that kernel (renderer messaging): comm
//    messages from the kernel, logged and replayed to a renderer that starts late;
//  - the Jupyter extension's public kernel API, returned from activate():
//    kernels.getKernel(uri) -> { status, onDidChangeStatus, language, executeCode }.
// executeCode runs code as the Jupyter extension does for other extensions
// (silent: false, store_history: false, stop_on_error: false) and yields the
// outputs as it does: each mime type one item, a JSON object as its JSON text.
const vscode = require('vscode');
const { Kernel } = require('./kernel');

const RENDERER_ID = 'jupyter-stand-in.widgets';
const WIDGET_MIME = 'application/vnd.jupyter.widget-view+json';
const ERROR_MIME = 'application/vnd.code.notebook.error';
const log = vscode.window.createOutputChannel('Jupyter stand-in');

const textItem = (text, mime) => new vscode.NotebookCellOutputItem(Buffer.from(text, 'utf8'), mime);

/** A kernel message's outputs as VS Code notebook output items. */
function outputItems(msg) {
  const type = msg.header.msg_type;
  const content = msg.content;
  if (type === 'stream') {
    return [content.name === 'stderr' ? vscode.NotebookCellOutputItem.stderr(content.text) : vscode.NotebookCellOutputItem.stdout(content.text)];
  }
  if (type === 'error') {
    const stack = (content.traceback || []).join('\n').replace(/\x1b\[[0-9;]*m/g, '');
    return [vscode.NotebookCellOutputItem.error({ name: content.ename, message: content.evalue, stack })];
  }
  if (type !== 'execute_result' && type !== 'display_data') return [];
  return Object.entries(content.data || {}).map(([mime, value]) => {
    if (mime.startsWith('image/') && mime !== 'image/svg+xml' && typeof value === 'string') {
      return new vscode.NotebookCellOutputItem(Buffer.from(value, 'base64'), mime);
    }
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) return textItem(JSON.stringify(value), mime);
    return textItem(Array.isArray(value) ? value.join('') : String(value), mime);
  });
}

function activate(context) {
  const kernels = new Map(); // notebook uri -> Promise<Kernel>
  const statusChanged = new vscode.EventEmitter();
  const commLog = []; // the kernel's comm messages, for renderers that start later
  const messaging = vscode.notebooks.createRendererMessaging(RENDERER_ID);
  let renderers = 0;

  function kernelFor(notebook) {
    const key = notebook.uri.toString();
    if (!kernels.has(key)) {
      const settings = vscode.workspace.getConfiguration('jupyterStandIn');
      const kernel = new Kernel(process.env.JUPYTER_STAND_IN_URL || settings.get('serverUrl'), process.env.JUPYTER_STAND_IN_TOKEN || settings.get('token'));
      kernels.set(key, kernel.start().then(() => {
        log.appendLine(`kernel ${kernel.model.id} for ${key}`);
        let last = kernel.status;
        kernel.listeners.add((msg) => {
          if (msg.channel === 'iopub' && /^comm_/.test(msg.header.msg_type)) {
            commLog.push(msg);
            if (renderers) messaging.postMessage({ type: 'kernel', msg });
          }
          if (kernel.status !== last) {
            last = kernel.status;
            statusChanged.fire({ kernel, status: last });
          }
        });
        return kernel;
      }));
    }
    return kernels.get(key);
  }

  messaging.onDidReceiveMessage(async ({ editor, message }) => {
    const kernel = await kernelFor(editor.notebook);
    if (message.type === 'ready') {
      renderers++;
      messaging.postMessage({ type: 'replay', msgs: commLog }, editor);
    } else if (message.type === 'shell') {
      kernel.send('shell', message.msg_type, message.content, { msgId: message.msg_id, metadata: message.metadata }, (reply) => {
        if (reply.channel === 'shell') messaging.postMessage({ type: 'kernel', msg: reply }, editor);
      });
    } else if (message.type === 'log') {
      log.appendLine(`[renderer] ${message.text}`);
    }
  });

  const controller = vscode.notebooks.createNotebookController('jupyter-stand-in', 'jupyter-notebook', 'Python 3 (stand-in kernel)');
  controller.supportedLanguages = ['python'];
  controller.supportsExecutionOrder = true;
  controller.executeHandler = async (cells, notebook) => {
    const kernel = await kernelFor(notebook);
    for (const cell of cells) {
      const execution = controller.createNotebookCellExecution(cell);
      execution.start(Date.now());
      await execution.clearOutput();
      const reply = await kernel.execute(cell.document.getText(), {}, (msg) => {
        const type = msg.header.msg_type;
        if (type === 'execute_input') execution.executionOrder = msg.content.execution_count;
        else if (type === 'clear_output') execution.clearOutput();
        else if (msg.content.data && msg.content.data[WIDGET_MIME]) {
          execution.appendOutput(new vscode.NotebookCellOutput([vscode.NotebookCellOutputItem.json(msg.content.data[WIDGET_MIME], WIDGET_MIME)]));
        } else {
          const items = outputItems(msg);
          if (items.length) execution.appendOutput(new vscode.NotebookCellOutput(items, { outputType: type }));
        }
      });
      execution.end(reply.status === 'ok', Date.now());
      if (reply.status !== 'ok') break;
    }
  };
  const prefer = (notebook) => {
    if (notebook.notebookType === 'jupyter-notebook') controller.updateNotebookAffinity(notebook, vscode.NotebookControllerAffinity.Preferred);
  };
  vscode.workspace.notebookDocuments.forEach(prefer);
  context.subscriptions.push(controller, vscode.workspace.onDidOpenNotebookDocument(prefer), statusChanged, {
    dispose: () => kernels.forEach((kernel) => kernel.then((k) => k.dispose(), () => undefined))
  });

  /** The Jupyter extension's `Kernel` for one started kernel. */
  function apiKernel(kernel) {
    return Object.freeze({
      language: 'python',
      get status() {
        return kernel.status;
      },
      onDidChangeStatus: (listener, thisArg, disposables) =>
        statusChanged.event((change) => change.kernel === kernel && listener.call(thisArg, change.status), undefined, disposables),
      executeCode(code, token) {
        return executeCode(kernel, code, token);
      }
    });
  }

  async function* executeCode(kernel, code, token) {
    const queue = [];
    let wake = () => undefined;
    let done = false;
    const finished = kernel.execute(code, { store_history: false, stop_on_error: false }, (msg) => {
      const items = outputItems(msg);
      if (items.length) queue.push({ items, metadata: { outputType: msg.header.msg_type } });
      wake();
    }).then((reply) => {
      done = true;
      wake();
      return reply;
    });
    while (!done || queue.length) {
      if (token && token.isCancellationRequested) return;
      if (queue.length) yield queue.shift();
      else await new Promise((resolve) => (wake = resolve));
    }
    const reply = await finished;
    if (reply.status === 'error') throw new Error(`${reply.ename}: ${reply.evalue}`);
  }

  log.appendLine('activated');
  return {
    kernels: {
      async getKernel(uri) {
        const started = kernels.get(uri.toString());
        return started ? apiKernel(await started) : undefined;
      }
    }
  };
}

function deactivate() {}

module.exports = { activate, deactivate, ERROR_MIME };
