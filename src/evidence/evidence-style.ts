import { createHash } from 'node:crypto';

/**
 * The one stylesheet of a printed evidence pack, inlined so that the
 * document stands alone (saved, mailed, printed years later). A4, each
 * request of a vendor pack on new pages, the proof too, table headers repeated on
 * every page, no colour needed to read a verdict.
 */
export const EVIDENCE_CSS = `
@page { size: A4; margin: 16mm 14mm 18mm; }
* { box-sizing: border-box; }
html { font-family: "Noto Sans CJK TC", "Noto Sans TC", "Microsoft JhengHei", "PingFang TC", "Noto Serif CJK TC", system-ui, sans-serif; font-size: 10.5pt; line-height: 1.45; color: #111; background: #fff; }
body { margin: 0 auto; max-width: 190mm; padding: 8mm 0; }
h1 { font-size: 18pt; margin: 0 0 2mm; }
h2 { font-size: 14pt; margin: 6mm 0 2mm; padding-bottom: 1mm; border-bottom: 0.5mm solid #333; }
h3 { font-size: 11.5pt; margin: 5mm 0 1.5mm; }
p { margin: 1.5mm 0; }
.subtitle { font-size: 12pt; margin: 0 0 3mm; }
.basis { color: #333; }
dl { display: grid; grid-template-columns: 42mm 1fr; gap: 1mm 4mm; margin: 2mm 0; }
dt { font-weight: 600; }
dd { margin: 0; overflow-wrap: anywhere; white-space: pre-wrap; }
table { width: 100%; border-collapse: collapse; margin: 2mm 0; font-size: 9pt; }
thead { display: table-header-group; }
th, td { border: 0.2mm solid #777; padding: 1mm 1.5mm; text-align: left; vertical-align: top; overflow-wrap: anywhere; }
th { background: #eee; font-weight: 600; }
tr { break-inside: avoid; }
code, .mono { font-family: "DejaVu Sans Mono", "Noto Sans Mono CJK TC", monospace; font-size: 8pt; overflow-wrap: anywhere; word-break: break-all; }
.verdict { border: 0.6mm solid; padding: 2mm 3mm; margin: 3mm 0; font-weight: 700; }
.verdict.ok { border-color: #1a6b2a; color: #1a6b2a; }
.verdict.failed { border-color: #a11; color: #a11; }
.verdict.failed::before { content: "✗ "; }
.verdict.ok::before { content: "✓ "; }
.note { font-style: italic; color: #333; }
.request + .request, .pack-vendor .request { break-before: page; }
.proof { break-before: page; }
.proof td:last-child { width: 46%; }
.proof td:first-child, .proof th:first-child { width: 9mm; }
ul.plain { margin: 0; padding-left: 4mm; }
footer { margin-top: 8mm; font-size: 8pt; color: #555; }
@media screen { body { padding: 10mm; } .request + .request, .pack-vendor .request, .proof { border-top: 1mm dashed #bbb; margin-top: 10mm; padding-top: 4mm; } }
@media print { body { padding: 0; max-width: none; } a { color: inherit; text-decoration: none; } }
`;

const styleHash = createHash('sha256').update(EVIDENCE_CSS).digest('base64');

/**
 * The Content-Security-Policy of an evidence pack: nothing may load or run,
 * and only this exact stylesheet applies (by its hash). Stricter than the
 * console's policy, which allows no inline style at all and so cannot serve
 * a document that must stand alone.
 */
export const EVIDENCE_CSP = [
  "default-src 'none'",
  `style-src 'sha256-${styleHash}'`,
  "img-src 'none'",
  "script-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');
