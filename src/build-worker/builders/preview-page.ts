import type { Framework } from '../../projects/framework';

export interface PreviewPage {
  readonly projectName: string;
  readonly prompt: string;
  readonly framework: Framework;
  readonly versionId: string;
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text made safe for HTML element content and quoted attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => HTML_ESCAPES[character]);
}

/**
 * The template builder's static preview: the project's name, framework and prompt, all escaped.
 * The page runs no script, and its Content-Security-Policy forbids any, as a second line of defence.
 */
export function renderPreviewPage(page: PreviewPage): string {
  const name = escapeHtml(page.projectName);
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <title>${name}</title>
    <style>
      body { font-family: system-ui, sans-serif; margin: 0 auto; max-width: 48rem; padding: 2rem; line-height: 1.5; }
      .framework { display: inline-block; padding: 0.1rem 0.6rem; border-radius: 1rem; background: #eef; }
      .prompt { white-space: pre-wrap; overflow-wrap: anywhere; padding: 1rem; background: #f6f6f6; border-radius: 0.5rem; }
      footer { color: #666; font-size: 0.85rem; }
    </style>
  </head>
  <body>
    <main>
      <h1>${name}</h1>
      <p>Framework: <span class="framework">${escapeHtml(page.framework)}</span></p>
      <h2>Prompt</h2>
      <p class="prompt">${escapeHtml(page.prompt)}</p>
    </main>
    <footer>Version ${escapeHtml(page.versionId)}</footer>
  </body>
</html>
`;
}
