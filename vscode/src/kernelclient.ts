/**
 * The VS Code panel's way to the kernel. VS Code gives other extensions no
 * comm, only the Jupyter extension's public kernel API: `executeCode` runs
 * code silently (no history entry, no cell output) and yields its outputs.
 * The code calls the kernel's request dispatcher (`tgraph.requests.serve`)
 * with the same request the JupyterLab panel sends on its comm, and the
 * dispatcher displays the same message under a mime type of its own.
 *
 * Nothing here imports `vscode`: the types below are the parts of
 * `@vscode/jupyter-extension`'s API this client uses (extension.ts checks
 * the real API against them), so jest can drive it with a fake.
 */
import { PanelMessage, PanelRequest } from '../../labextension/src/common/messages';

/** The mime type the kernel's `serve` displays a reply under. */
export const REPLY_MIME = 'application/vnd.tgraph.reply+json';
/** Displayed instead when tgraph is installed in the kernel but not loaded. */
export const NOT_LOADED_MIME = 'application/vnd.tgraph.not-loaded+json';
/** VS Code's mime type for an error output (`NotebookCellOutputItem.error`). */
export const ERROR_MIME = 'application/vnd.code.notebook.error';

export interface IOutputItem {
  mime: string;
  data: Uint8Array;
}

export interface IOutput {
  items: IOutputItem[];
}

export interface ICancellationToken {
  isCancellationRequested: boolean;
}

/** `Kernel` of the Jupyter extension's API, as far as the panel uses it. */
export interface IJupyterKernel {
  readonly status: string;
  executeCode(code: string, token: ICancellationToken): AsyncIterable<IOutput>;
}

/** Why the kernel could not answer; `kind` picks what the panel tells the user. */
export type ProblemKind = 'not-installed' | 'not-loaded' | 'failed';

export class KernelProblem extends Error {
  constructor(
    readonly kind: ProblemKind,
    message: string
  ) {
    super(message);
  }
}

/**
 * The code that asks the kernel one request: its compact JSON in a string
 * literal, and no name left behind in the user's namespace. The kernel's
 * `tgraph.requests.code_for` writes the same (the recorded replies the
 * tests replay are keyed by it).
 */
export function codeFor(request: PanelRequest): string {
  const text = JSON.stringify(request);
  return `__import__("tgraph.requests").requests.serve(${JSON.stringify(text)})`;
}

const decoder = new TextDecoder();

function isRecord(value: unknown): value is { [key: string]: unknown } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A message the webviews take: a reply (they check its fields) or a packed one. */
function isMessage(value: unknown): value is PanelMessage {
  return isRecord(value) && typeof value.type === 'string';
}

function json(item: IOutputItem): unknown {
  return JSON.parse(decoder.decode(item.data));
}

/** The reply among the outputs of one request's code, or why there is none. */
export function readReply(outputs: IOutput[]): PanelMessage {
  const items = outputs.flatMap(output => output.items);
  const reply = items.find(item => item.mime === REPLY_MIME);
  if (reply) {
    const message = json(reply);
    if (isMessage(message)) {
      return message;
    }
    throw new KernelProblem('failed', 'the kernel sent a reply this panel does not understand');
  }
  if (items.some(item => item.mime === NOT_LOADED_MIME)) {
    throw new KernelProblem('not-loaded', 'tgraph is not loaded in this kernel');
  }
  const error = items.find(item => item.mime === ERROR_MIME);
  if (error) {
    const found = json(error);
    const text = isRecord(found) ? `${found.name ?? ''}: ${found.message ?? ''}` : '';
    if (/ModuleNotFoundError/.test(text) && /tgraph/.test(text)) {
      throw new KernelProblem('not-installed', 'jupyter-tgraph is not installed in this kernel');
    }
    throw new KernelProblem('failed', `the kernel raised ${text}`);
  }
  throw new KernelProblem('failed', 'the kernel did not answer this request');
}

/** Asks one kernel; requests run one after another, as the kernel would run them. */
export class KernelClient {
  constructor(
    readonly kernel: IJupyterKernel,
    private readonly _token: () => ICancellationToken = () => ({ isCancellationRequested: false })
  ) {}

  /** The kernel's message for `request`, as the JupyterLab panel's comm carries it. */
  request(request: PanelRequest): Promise<PanelMessage> {
    const next = this._last.then(() => this._ask(request));
    this._last = next.catch(() => undefined);
    return next;
  }

  private async _ask(request: PanelRequest): Promise<PanelMessage> {
    const outputs: IOutput[] = [];
    try {
      for await (const output of this.kernel.executeCode(codeFor(request), this._token())) {
        outputs.push(output);
      }
    } catch (error) {
      // The Jupyter extension ends the iteration with an error when the code
      // raised: the error's own output says what went wrong.
      if (!outputs.length) {
        throw new KernelProblem('failed', `the kernel could not run the request: ${error}`);
      }
    }
    return readReply(outputs);
  }

  private _last: Promise<unknown> = Promise.resolve();
}
