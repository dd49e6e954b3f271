import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { z } from 'zod';
import { notFound } from '../http/errors.js';
import type { APIGatewayProxyResultV2 } from '../http/types.js';

// Swagger UI comes from the swagger-ui-dist package and is served by the function itself, so the
// page works without any CDN. serverless.yml packages the two files it needs next to the bundle.
const swaggerUiDir = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));

// Relative URLs: the page lives at /api/v1/docs, so they resolve under /api/v1 wherever the API is mounted.
const INIT_SCRIPT = `window.ui = SwaggerUIBundle({
  url: 'openapi.json',
  dom_id: '#swagger-ui',
  deepLinking: true,
  // The default would send the document to swagger.io to be checked.
  validatorUrl: null,
});
`;

// Same-origin only: a request anywhere else (a CDN, a validator badge) is blocked by the browser.
const PAGE_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src " +
  "'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

interface Asset {
  contentType: string;
  read: () => string;
  cacheControl: string;
}

// The page asks for the package's files with its version in the query, so a new Swagger UI is a new
// URL and they can be cached for good; init.js changes with this file, so it is checked each time.
const FOREVER = 'public, max-age=31536000, immutable';
const fromPackage = (file: string) => () => readFileSync(join(swaggerUiDir, file), 'utf8');

const assets: Record<string, Asset> = {
  'swagger-ui.css': {
    contentType: 'text/css; charset=utf-8',
    read: fromPackage('swagger-ui.css'),
    cacheControl: FOREVER,
  },
  'swagger-ui-bundle.js': {
    contentType: 'text/javascript; charset=utf-8',
    read: fromPackage('swagger-ui-bundle.js'),
    cacheControl: FOREVER,
  },
  'init.js': { contentType: 'text/javascript; charset=utf-8', read: () => INIT_SCRIPT, cacheControl: 'no-cache' },
};

export const docsAssetPath = z.object({ file: z.string().max(100) });

let swaggerUiVersion: string | undefined;

/** The interactive documentation page: Swagger UI over /api/v1/openapi.json. */
export function docsPage(): APIGatewayProxyResultV2 {
  swaggerUiVersion ??= (JSON.parse(readFileSync(join(swaggerUiDir, 'package.json'), 'utf8')) as { version: string })
    .version;
  const asset = (file: string) => `docs/assets/${file}?v=${swaggerUiVersion}`;
  const body = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>pg-reviewer API</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${asset('swagger-ui.css')}">
</head>
<body>
<div id="swagger-ui"></div>
<script src="${asset('swagger-ui-bundle.js')}"></script>
<script src="${asset('init.js')}"></script>
</body>
</html>
`;
  return {
    statusCode: 200,
    headers: {
      'content-type': 'text/html; charset=utf-8',
      'content-security-policy': PAGE_CSP,
      'x-content-type-options': 'nosniff',
      'cache-control': 'no-cache',
    },
    body,
  };
}

interface Encoded {
  plain: string;
  gzipped?: string;
}

const loaded = new Map<string, Encoded>();

/**
 * One of the page's scripts or styles. The Swagger UI bundle is 1.7 MB; gzipped (about a quarter)
 * when the browser accepts it, since API Gateway's HTTP APIs do not compress responses themselves.
 */
export function docsAsset(file: string, acceptEncoding: string | undefined): APIGatewayProxyResultV2 {
  const asset = Object.hasOwn(assets, file) ? assets[file] : undefined;
  if (!asset) throw notFound(`Documentation asset ${file}`);
  let encoded = loaded.get(file);
  if (!encoded) {
    encoded = { plain: asset.read() };
    loaded.set(file, encoded);
  }
  const headers = {
    'content-type': asset.contentType,
    'cache-control': asset.cacheControl,
    'x-content-type-options': 'nosniff',
    vary: 'accept-encoding',
  };
  if (!/\bgzip\b/i.test(acceptEncoding ?? '')) return { statusCode: 200, headers, body: encoded.plain };
  encoded.gzipped ??= gzipSync(encoded.plain).toString('base64');
  return {
    statusCode: 200,
    headers: { ...headers, 'content-encoding': 'gzip' },
    body: encoded.gzipped,
    isBase64Encoded: true,
  };
}
