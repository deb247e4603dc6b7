/** The page of a tgraph webview: its bundle and styles, and a strict content policy. */
import * as vscode from 'vscode';

export function webviewHtml(
  webview: vscode.Webview,
  extensionUri: vscode.Uri,
  name: string
): string {
  const asset = (file: string) =>
    webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'dist', file)).toString();
  const nonce = Array.from({ length: 4 }, () => Math.random().toString(36).slice(2)).join('');
  // The kernel's pictures are SVG markup; styles may be set on them from script.
  const policy = [
    "default-src 'none'",
    `style-src ${webview.cspSource} 'unsafe-inline'`,
    `script-src 'nonce-${nonce}'`,
    `img-src ${webview.cspSource} data: blob:`,
    'connect-src blob:',
    `font-src ${webview.cspSource}`
  ].join('; ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${policy}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="${asset(`${name}.css`)}">
</head>
<body>
<script nonce="${nonce}" src="${asset(`${name}.js`)}"></script>
</body>
</html>`;
}
