// One real kernel, started through jupyter_server's REST API and spoken to
// over its websocket (the Jupyter protocol's messages as JSON). Node's own
// WebSocket (Node 22+, the extension host's) is all it needs.
const crypto = require('crypto');

class Kernel {
  constructor(baseUrl, token) {
    this.baseUrl = baseUrl.replace(/\/?$/, '/');
    this.token = token;
    this.session = crypto.randomUUID();
    this.status = 'starting';
    this.byParent = new Map(); // msg_id -> handler of its replies and outputs
    this.listeners = new Set(); // every message
  }

  url(path, scheme = 'http') {
    const base = scheme === 'ws' ? this.baseUrl.replace(/^http/, 'ws') : this.baseUrl;
    return `${base}${path}${path.includes('?') ? '&' : '?'}token=${this.token}`;
  }

  async start() {
    const response = await fetch(this.url('api/kernels'), {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: 'python3' })
    });
    if (!response.ok) throw new Error(`starting a kernel: ${response.status} ${await response.text()}`);
    this.model = await response.json();
    this.ws = new WebSocket(this.url(`api/kernels/${this.model.id}/channels?session_id=${this.session}`, 'ws'));
    this.ws.binaryType = 'arraybuffer';
    await new Promise((resolve, reject) => {
      this.ws.onopen = resolve;
      this.ws.onerror = () => reject(new Error('the kernel websocket failed'));
    });
    this.ws.onmessage = (event) => this.receive(event.data);
    this.status = 'idle';
  }

  receive(data) {
    const msg = typeof data === 'string' ? JSON.parse(data) : decodeBinary(data);
    if (msg.channel === 'iopub' && msg.header.msg_type === 'status' && !msg.parent_header.subshell_id) {
      this.status = msg.content.execution_state;
    }
    const handler = this.byParent.get(msg.parent_header && msg.parent_header.msg_id);
    if (handler) handler(msg);
    for (const listener of this.listeners) listener(msg);
  }

  send(channel, msgType, content, { msgId = crypto.randomUUID(), metadata = {} } = {}, handler) {
    const msg = {
      header: { msg_id: msgId, msg_type: msgType, username: 'stand-in', session: this.session, date: new Date().toISOString(), version: '5.3' },
      parent_header: {},
      metadata,
      content,
      channel,
      buffers: []
    };
    if (handler) this.byParent.set(msgId, handler);
    this.ws.send(JSON.stringify(msg));
    return msgId;
  }

  /**
   * Run `code`; `onOutput(msg)` sees its iopub messages. Resolves with the
   * execute_reply's content once the kernel is idle again.
   */
  execute(code, options, onOutput) {
    return new Promise((resolve) => {
      let reply = null;
      let idle = false;
      const msgId = this.send(
        'shell',
        'execute_request',
        { code, silent: false, store_history: true, user_expressions: {}, allow_stdin: false, stop_on_error: true, ...options },
        {},
        (msg) => {
          if (msg.channel === 'shell' && msg.header.msg_type === 'execute_reply') reply = msg.content;
          else if (msg.channel === 'iopub') {
            if (msg.header.msg_type === 'status') idle = msg.content.execution_state === 'idle';
            else onOutput(msg);
          }
          if (reply && idle) {
            this.byParent.delete(msgId);
            resolve(reply);
          }
        }
      );
    });
  }

  dispose() {
    try {
      if (this.ws) this.ws.close();
    } catch {
      // closing a socket that already closed
    }
    if (this.model) fetch(this.url(`api/kernels/${this.model.id}`), { method: 'DELETE' }).catch(() => undefined);
  }
}

// jupyter_server's legacy binary framing: count, offsets, the JSON message, buffers.
function decodeBinary(data) {
  const view = new DataView(data);
  const count = view.getUint32(0);
  const offsets = [];
  for (let i = 0; i < count; i++) offsets.push(view.getUint32(4 * (i + 1)));
  offsets.push(data.byteLength);
  const msg = JSON.parse(new TextDecoder().decode(data.slice(offsets[0], offsets[1])));
  msg.buffers = [];
  for (let i = 1; i < count; i++) msg.buffers.push(Buffer.from(data.slice(offsets[i], offsets[i + 1])).toString('base64'));
  msg.buffersAreBase64 = true;
  return msg;
}

module.exports = { Kernel };
