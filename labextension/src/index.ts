/** The JupyterLab extension's entry (the plugin lives in lab/). */
export { default } from './lab';
