/**
 * Export of a full-size view: the picture on screen (SVG, PNG), the view as
 * the kernel writes it for Graphviz (DOT) and the graph in the tgraph format
 * (JSON, docs/graph-format.md).
 */
import { button, save } from './dom';
import { GraphView } from './graphview';
import { GraphSession } from './session';

const TITLES: Record<string, string> = {
  SVG: 'Save the picture as SVG',
  PNG: 'Save the picture as PNG',
  DOT: 'Save the Graphviz source',
  JSON: 'Save the graph in the tgraph format'
};

/** Rasterise an SVG string at twice its size. */
export function toPng(svgText: string): Promise<Blob> {
  return new Promise((resolve, reject) => {
    const image = new Image();
    const url = URL.createObjectURL(new Blob([svgText], { type: 'image/svg+xml' }));
    image.onload = () => {
      const canvas = document.createElement('canvas');
      canvas.width = image.width * 2;
      canvas.height = image.height * 2;
      const context = canvas.getContext('2d');
      if (!context) {
        reject(new Error('no canvas'));
        return;
      }
      context.fillStyle = 'white';
      context.fillRect(0, 0, canvas.width, canvas.height);
      context.drawImage(image, 0, 0, canvas.width, canvas.height);
      URL.revokeObjectURL(url);
      canvas.toBlob(b => (b ? resolve(b) : reject(new Error('PNG failed'))), 'image/png');
    };
    image.onerror = () => reject(new Error('the SVG could not be drawn'));
    image.src = url;
  });
}

/** What is exported: the graph's name and the view (or mode) on screen, and its picture. */
export interface IExportSource {
  name: string;
  mode: string;
  view: GraphView;
}

/** One button per format; each saves what ``current`` says is on screen. */
export function exportButtons(session: GraphSession, current: () => IExportSource): HTMLElement[] {
  return ['SVG', 'PNG', 'DOT', 'JSON'].map(format => {
    const b = button(format, 'tg-export', TITLES[format], () =>
      exportAs(session, current(), format.toLowerCase())
    );
    b.dataset.format = format.toLowerCase();
    return b;
  });
}

async function exportAs(session: GraphSession, on: IExportSource, format: string): Promise<void> {
  const file = `${on.name}-${on.mode}`;
  const views = session.state.bundle.views;
  if (format === 'svg') {
    save(`${file}.svg`, new Blob([on.view.getSvg()], { type: 'image/svg+xml' }));
  } else if (format === 'png') {
    save(`${file}.png`, await toPng(on.view.getSvg()));
  } else if (format === 'json') {
    const graph = views[on.mode] ?? views.original;
    const data = { version: 1, target: on.name, view: on.mode, graph };
    save(`${file}.json`, new Blob([JSON.stringify(data, null, 1)], { type: 'application/json' }));
  } else if (format === 'dot') {
    const dot = await session.dot(views[on.mode] ? on.mode : 'original');
    save(`${file}.dot`, new Blob([dot], { type: 'text/vnd.graphviz' }));
  }
}
