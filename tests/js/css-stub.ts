/** Stands in for esbuild's text loader: the widget's CSS is a string. */
export default '.tg-root{}';
