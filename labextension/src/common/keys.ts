/** What a key does over a graph view: arrows pan, + and - zoom, 0 fits. */
export interface IKeyAction {
  pan?: [number, number];
  zoom?: number;
  fit?: boolean;
}

/** The action of ``key``, panning by ``step`` picture units; {} for keys the view leaves alone. */
export function keyAction(key: string, step: number): IKeyAction {
  const pans: Record<string, [number, number]> = {
    ArrowLeft: [-step, 0],
    ArrowRight: [step, 0],
    ArrowUp: [0, -step],
    ArrowDown: [0, step]
  };
  if (pans[key]) {
    return { pan: pans[key] };
  }
  if (key === '+' || key === '=') {
    return { zoom: 1.25 };
  }
  if (key === '-') {
    return { zoom: 1 / 1.25 };
  }
  return key === '0' ? { fit: true } : {};
}
