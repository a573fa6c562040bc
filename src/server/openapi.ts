/** The OpenAPI 3 description served at /openapi.json, and the minimal human page at /docs. */
import { esc } from '../eval/report.js';
const err = (description: string) => ({ description, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } });

export function openApiDocument(o: { version: string; maxUploadBytes: number; maxVideoBytes: number; maxPixels: number }): Record<string, unknown> {
  const imageBody = {
    required: true,
    content: {
      'multipart/form-data': { schema: { type: 'object', required: ['image'], properties: { image: { type: 'string', format: 'binary' } } } },
      'image/*': { schema: { type: 'string', format: 'binary' } },
      'application/octet-stream': { schema: { type: 'string', format: 'binary' } },
    },
  };
  return {
    openapi: '3.0.3',
    info: {
      title: 'ferkit API',
      version: o.version,
      description: `Facial expression recognition. Uploads up to ${o.maxUploadBytes} bytes (images) and ${o.maxVideoBytes} bytes (videos); images up to ${o.maxPixels} pixels. Every error is JSON: { error: { code, message } }.`,
    },
    paths: {
      '/v1/analyze': {
        post: {
          summary: 'Find the faces in an image and classify their expressions',
          requestBody: imageBody,
          responses: {
            200: { description: 'faces found (possibly none)', content: { 'application/json': { schema: { $ref: '#/components/schemas/AnalyzeResult' } } } },
            400: err('empty body or malformed request'),
            408: err('the upload took too long'),
            413: err('upload over the size limit'),
            415: err('unsupported content type'),
            422: err('the image could not be decoded, or has too many pixels'),
            429: err('too many concurrent analyses (see Retry-After)'),
            503: err('the analysis timed out or the server is busy (see Retry-After)'),
          },
        },
      },
      '/v1/analyze/video': {
        post: {
          summary: 'Upload a short video clip; starts an analysis job',
          requestBody: { required: true, content: {
            'multipart/form-data': { schema: { type: 'object', required: ['video'], properties: { video: { type: 'string', format: 'binary' }, fps: { type: 'number' } } } },
            'video/*': { schema: { type: 'string', format: 'binary' } },
          } },
          responses: {
            202: { description: 'job queued', content: { 'application/json': { schema: { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] } } } },
            400: err('empty body'), 413: err('upload over the size limit'), 415: err('unsupported content type'),
            429: err('too many video jobs queued'), 501: err('video analysis is not available in this build'),
          },
        },
      },
      '/v1/jobs/{id}': {
        get: {
          summary: 'Progress of a video job and, when done, its per-track results',
          parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
          responses: { 200: { description: 'the job', content: { 'application/json': { schema: { $ref: '#/components/schemas/Job' } } } }, 404: err('no such job (or expired)') },
        },
      },
      '/v1/models': { get: { summary: 'The model being served, its labels, and the bundled models', responses: { 200: { description: 'models' } } } },
      '/healthz': { get: { summary: 'Liveness: 200 while the server is up', responses: { 200: { description: 'ok' } } } },
      '/metrics': { get: { summary: 'Request counts per route and status, latency percentiles, in-flight requests', responses: { 200: { description: 'metrics (JSON)' } } } },
      '/models/classifier.onnx': { get: { summary: 'The served classifier as ONNX (for onnxruntime-web)', responses: { 200: { description: 'ONNX model', content: { 'application/octet-stream': {} } } } } },
      '/openapi.json': { get: { summary: 'This document', responses: { 200: { description: 'OpenAPI 3 document' } } } },
    },
    components: {
      schemas: {
        Error: { type: 'object', required: ['error'], properties: { error: { type: 'object', required: ['code', 'message'], properties: { code: { type: 'string' }, message: { type: 'string' } } } } },
        Box: { type: 'object', properties: { x: { type: 'number' }, y: { type: 'number' }, width: { type: 'number' }, height: { type: 'number' } } },
        FaceResult: {
          type: 'object',
          properties: {
            box: { $ref: '#/components/schemas/Box' },
            keypoints: { type: 'array', items: { type: 'object', properties: { name: { type: 'string' }, x: { type: 'number' }, y: { type: 'number' } } } },
            detectorScore: { type: 'number' },
            probabilities: { type: 'object', additionalProperties: { type: 'number' } },
            label: { type: 'string' },
            confidence: { type: 'number' },
          },
        },
        AnalyzeResult: {
          type: 'object', required: ['faces', 'width', 'height', 'model', 'ms'],
          properties: { faces: { type: 'array', items: { $ref: '#/components/schemas/FaceResult' } }, width: { type: 'integer' }, height: { type: 'integer' }, model: { type: 'string' }, ms: { type: 'number' } },
        },
        Job: {
          type: 'object', required: ['id', 'status', 'progress'],
          properties: { id: { type: 'string' }, status: { type: 'string', enum: ['queued', 'running', 'done', 'failed'] }, progress: { type: 'number' }, result: {}, error: { type: 'object' } },
        },
      },
    },
  };
}


/** A script-free HTML page listing the routes of the document. */
export function docsPage(doc: Record<string, any>): string {
  const rows: string[] = [];
  for (const [path, ops] of Object.entries(doc.paths as Record<string, Record<string, any>>)) {
    for (const [method, op] of Object.entries(ops)) {
      const codes = Object.entries(op.responses ?? {}).map(([c, r]: [string, any]) => `<li><code>${c}</code> ${esc(r.description ?? '')}</li>`).join('');
      rows.push(`<section><h2><code>${method.toUpperCase()} ${esc(path)}</code></h2><p>${esc(op.summary ?? '')}</p><ul>${codes}</ul></section>`);
    }
  }
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><title>ferkit API</title><link rel="stylesheet" href="/style.css"></head>
<body class="docs"><main><h1>${esc(doc.info.title)} ${esc(doc.info.version)}</h1><p>${esc(doc.info.description)}</p><p>Machine-readable: <a href="/openapi.json">/openapi.json</a>. Web app: <a href="/">/</a>.</p>${rows.join('\n')}</main></body></html>`;
}
