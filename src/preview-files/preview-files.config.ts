import { Matches } from 'class-validator';
import { configFromEnv, Environment } from '../config/config-from-env';

/** CSP source expressions (`'self'`, `https://app.example.com`, `*`): no `;` or `,` that would end the directive. */
const FRAME_ANCESTORS = /^[^\s;,]+(?: [^\s;,]+)*$/;

export class PreviewFilesConfig {
  /**
   * PREVIEW_FRAME_ANCESTORS: who may show a preview in a frame, as the CSP `frame-ancestors`
   * directive says it; in production, the NextJS app's origin. `*` (the default) lets any site.
   */
  @Matches(FRAME_ANCESTORS, {
    message: "must be CSP sources separated by single spaces, e.g. 'self' https://app.example.com",
  })
  readonly frameAncestors: string = '*';

  static fromEnv(env: Environment): PreviewFilesConfig {
    return configFromEnv(PreviewFilesConfig, env, { frameAncestors: 'PREVIEW_FRAME_ANCESTORS' });
  }
}
