/** The dashboard's HTML shell and stylesheet, served as they are (the UI itself is the bundle). */

export const INDEX_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>Portico dashboard</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="app.css">
</head>
<body>
<div id="app"><noscript>The Portico dashboard needs JavaScript.</noscript></div>
<script type="module" src="app.js"></script>
</body>
</html>
`;

/** Only our own origin: scripts, styles, fetches; no frames, no form posts, no inline script. */
export const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

export const APP_CSS = `
:root { --fg: #1d2330; --muted: #667085; --line: #e3e6ec; --bg: #f7f8fa; --accent: #2f5bea; --bad: #c4312b; --ok: #1f8a4c; --warn: #b7791f; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); }
header { display: flex; align-items: center; gap: 16px; padding: 10px 20px; background: #fff; border-bottom: 1px solid var(--line); }
header h1 { font-size: 16px; margin: 0 12px 0 0; }
nav a { color: var(--muted); text-decoration: none; padding: 6px 10px; border-radius: 6px; }
nav a.active, nav a:hover { color: var(--fg); background: var(--bg); }
header .spacer { flex: 1; }
main { padding: 20px; max-width: 1200px; }
h2 { font-size: 18px; margin: 0 0 12px; }
h3 { font-size: 15px; margin: 18px 0 8px; }
section.card { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 14px 16px; margin-bottom: 16px; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { color: var(--muted); font-weight: 500; font-size: 12px; text-transform: uppercase; letter-spacing: .02em; }
code, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 12.5px; }
button { font: inherit; padding: 4px 10px; border: 1px solid var(--line); border-radius: 6px; background: #fff; cursor: pointer; }
button:hover { border-color: var(--accent); }
button.primary { background: var(--accent); color: #fff; border-color: var(--accent); }
button:disabled { opacity: .5; cursor: default; }
input { font: inherit; padding: 5px 8px; border: 1px solid var(--line); border-radius: 6px; }
input.weight { width: 70px; }
.error { color: var(--bad); }
.ok { color: var(--ok); }
.warn { color: var(--warn); }
.muted { color: var(--muted); }
.badge { display: inline-block; padding: 0 7px; border-radius: 10px; font-size: 12px; background: var(--bg); border: 1px solid var(--line); margin: 0 4px 2px 0; }
.badge.ok { border-color: #b7e1c6; background: #eefaf2; }
.badge.bad { border-color: #f1c0bd; background: #fdf0ef; color: var(--bad); }
.badge.warn { border-color: #f2dca9; background: #fdf7ea; }
.login { max-width: 380px; margin: 12vh auto; background: #fff; border: 1px solid var(--line); border-radius: 10px; padding: 24px; }
.login h1 { font-size: 18px; margin: 0 0 6px; }
.login form { display: flex; flex-direction: column; gap: 10px; margin-top: 14px; }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(340px, 1fr)); gap: 16px; }
.kv { display: grid; grid-template-columns: 160px 1fr; gap: 4px 12px; }
.kv dt { color: var(--muted); }
.kv dd { margin: 0; }
.chart svg { display: block; width: 100%; height: 120px; }
.chart .line { fill: none; stroke: var(--accent); stroke-width: 1.5; }
.chart .line2 { fill: none; stroke: var(--warn); stroke-width: 1.5; }
.chart .dot { fill: var(--accent); stroke: none; }
.chart .line2.dot { fill: var(--warn); }
.actions.below { margin-top: 8px; }
.chart .axis { stroke: var(--line); }
.chart text { fill: var(--muted); font-size: 10px; }
.chart .now { font-size: 20px; font-weight: 600; }
.bars rect { fill: var(--accent); }
pre.issues { background: #fdf0ef; border: 1px solid #f1c0bd; padding: 8px; border-radius: 6px; white-space: pre-wrap; }
.actions { display: flex; gap: 6px; flex-wrap: wrap; }
#deployment-diff .change { padding: 2px 6px; border-left: 3px solid var(--line); margin: 2px 0; }
#deployment-diff .change.create { border-color: var(--ok); background: #eefaf2; }
#deployment-diff .change.delete { border-color: var(--bad); background: #fdf0ef; }
#deployment-diff .change.update { border-color: var(--warn); background: #fdf7ea; }
#deployment-diff .field { padding-left: 18px; color: var(--muted); white-space: pre-wrap; }
`;
