/**
 * How a host lists the graphs of a kernel (`EntryJSON`): the words every
 * host's list uses, so the JupyterLab panel and VS Code's read the same.
 */
import { EntryJSON } from './messages';

/** Nodes before and after rewriting; a view still being built reads "…". */
export function nodesText(entry: EntryJSON): string {
  const count = (view: string) =>
    entry.pending.includes(view) ? '…' : String(entry.nodes[view] ?? 0);
  return `${count('original')} → ${count('optimized')}`;
}

export function droppedText(dropped: number): string {
  if (dropped <= 0) {
    return '';
  }
  const graphs = dropped === 1 ? '1 older graph was' : `${dropped} older graphs were`;
  return `${graphs} let go to bound the kernel's memory`;
}
