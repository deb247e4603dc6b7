/**
 * The panel's kernel client against a fake of the Jupyter extension's API
 * that replays what a real kernel answered (fixtures/replies.json, written by
 * record_replies.py). The fake answers only the exact code the kernel was
 * sent when recording, so the client must send what the kernel's
 * `tgraph.requests.code_for` writes.
 */
import * as fs from 'fs';
import * as path from 'path';

import {
  codeFor,
  IJupyterKernel,
  IOutput,
  KernelClient,
  KernelProblem
} from '../../../vscode/src/kernelclient';
import { PanelReply, PanelRequest } from '../../../labextension/src/common/messages';
import { unpack } from '../../../labextension/src/common/packed';

interface IRecorded {
  request: PanelRequest;
  code: string;
  outputs: { items: { mime: string; text: string }[] }[];
  raised: boolean;
}

const recorded: {
  answered: IRecorded[];
  not_loaded: IRecorded;
  not_installed: IRecorded;
} = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'fixtures', 'replies.json'), 'utf-8'));

const encoder = new TextEncoder();

/** The Jupyter extension's `kernels` API with one kernel that replays `answers`. */
function fakeJupyter(answers: IRecorded[]) {
  const sent: string[] = [];
  let running = 0;
  let mostAtOnce = 0;
  const kernel: IJupyterKernel = {
    status: 'idle',
    async *executeCode(code: string): AsyncIterable<IOutput> {
      const answer = answers.find(a => a.code === code);
      if (!answer) {
        throw new Error(`the kernel was never sent this code: ${code}`);
      }
      sent.push(code);
      running++;
      mostAtOnce = Math.max(mostAtOnce, running);
      try {
        for (const output of answer.outputs) {
          await new Promise(resolve => setTimeout(resolve, 1));
          yield { items: output.items.map(i => ({ mime: i.mime, data: encoder.encode(i.text) })) };
        }
        if (answer.raised) {
          // as the Jupyter extension ends an execution whose code raised
          throw new Error('the code raised');
        }
      } finally {
        running--;
      }
    }
  };
  return {
    sent,
    mostAtOnce: () => mostAtOnce,
    api: { kernels: { getKernel: async (_uri: unknown) => kernel } }
  };
}

async function clientOf(answers: IRecorded[]) {
  const fake = fakeJupyter(answers);
  const kernel = await fake.api.kernels.getKernel('file:///graphs.ipynb');
  return { fake, client: new KernelClient(kernel) };
}

const replyText = (r: IRecorded) => r.outputs[0].items[0].text;

test('every request gets the message the kernel displayed for it', async () => {
  const { fake, client } = await clientOf(recorded.answered);
  const answerable = recorded.answered.filter(r => r.outputs[0].items[0].mime.includes('tgraph'));
  expect(answerable.map(r => r.request.type)).toEqual([
    'list',
    'get',
    'steps',
    'layout',
    'dot',
    'values',
    'build'
  ]);
  for (const answer of answerable) {
    expect(await client.request(answer.request)).toEqual(JSON.parse(replyText(answer)));
  }
  expect(fake.sent).toEqual(answerable.map(r => codeFor(r.request)));
});

test('the list is newest first, with each graph’s cell and node counts', async () => {
  const { client } = await clientOf(recorded.answered);
  const listing = await client.request({ type: 'list' });
  expect(listing.type).toBe('entries');
  if (listing.type !== 'entries') {
    return;
  }
  expect(listing.entries.map(e => [e.name, e.framework, e.cell])).toEqual([
    ['safe_log', 'pytensor', 5],
    ['logistic', 'pytensor', 3]
  ]);
  expect(listing.entries[1].nodes).toMatchObject({ original: 6, optimized: 1 });
  expect(listing.entries[0].pending).toContain('gradient');
});

test('a build answers with the graph holding the view it built, packed as it is big', async () => {
  const { client } = await clientOf(recorded.answered);
  const build = recorded.answered.find(r => r.request.type === 'build')!;
  const message = await client.request(build.request);
  expect(message.type).toBe('packed');
  // the webview unpacks it as the JupyterLab panel does
  const graph: PanelReply =
    message.type === 'packed' ? JSON.parse(await unpack(message.reply)) : message;
  expect(graph.type).toBe('graph');
  if (graph.type === 'graph') {
    expect(Object.keys(graph.bundle.views as object)).toContain('gradient');
    expect(Object.keys(graph.pending)).not.toContain('gradient');
    expect(graph.layouts.gradient.svg).toMatch(/^<svg/);
  }
});

test('requests run one after another, as the kernel runs them', async () => {
  const { fake, client } = await clientOf(recorded.answered);
  const asked = recorded.answered.slice(0, 4).map(r => client.request(r.request));
  await Promise.all(asked);
  expect(fake.mostAtOnce()).toBe(1);
  expect(fake.sent).toEqual(recorded.answered.slice(0, 4).map(r => r.code));
});

test('a kernel without tgraph loaded, or without tgraph at all, says which', async () => {
  const unloaded = (await clientOf([recorded.not_loaded])).client;
  await expect(unloaded.request({ type: 'list' })).rejects.toEqual(
    new KernelProblem('not-loaded', 'tgraph is not loaded in this kernel')
  );
  const missing = (await clientOf([recorded.not_installed])).client;
  const error = await missing.request({ type: 'list' }).catch((e: KernelProblem) => e);
  expect(error).toBeInstanceOf(KernelProblem);
  expect((error as KernelProblem).kind).toBe('not-installed');
});

test('a request the kernel does not define gets no reply, and the client says so', async () => {
  const { client } = await clientOf(recorded.answered);
  const ignored = recorded.answered.find(
    r => r.request.type === 'get' && r.request.id === 'no-such-graph'
  )!;
  const error = await client.request(ignored.request).catch((e: KernelProblem) => e);
  expect(error).toEqual(new KernelProblem('failed', 'the kernel did not answer this request'));
  // the client keeps going after a failed request
  expect((await client.request({ type: 'list' })).type).toBe('entries');
});
