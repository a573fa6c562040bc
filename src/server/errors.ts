/**
 * The API's one error shape: `{ error: { code, message } }` with a fitting HTTP status. Messages are for
 * people (they say what was wrong and what to do); codes are for programs. Nothing else of an exception
 * (stack, internal paths) ever reaches a client.
 */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export interface ErrorBody {
  error: { code: string; message: string };
}

export const errorBody = (code: string, message: string): ErrorBody => ({ error: { code, message } });

/** Codes of fastify's and @fastify/multipart's own client errors, mapped onto ours. */
const FASTIFY_CODES: Record<string, [number, string]> = {
  FST_ERR_CTP_BODY_TOO_LARGE: [413, 'payload_too_large'],
  FST_REQ_FILE_TOO_LARGE: [413, 'payload_too_large'],
  FST_PARTS_LIMIT: [413, 'payload_too_large'],
  FST_FILES_LIMIT: [413, 'payload_too_large'],
  FST_FIELDS_LIMIT: [413, 'payload_too_large'],
  FST_ERR_CTP_INVALID_MEDIA_TYPE: [415, 'unsupported_media_type'],
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: [400, 'bad_request'],
  FST_ERR_CTP_EMPTY_JSON_BODY: [400, 'empty_body'],
  FST_ERR_CTP_INVALID_JSON_BODY: [400, 'bad_request'],
  FST_INVALID_MULTIPART_CONTENT_TYPE: [415, 'unsupported_media_type'],
  FST_ERR_VALIDATION: [400, 'bad_request'],
};

/**
 * Turns any thrown value into (status, body, headers). Client errors keep their (safe) message; anything
 * else becomes a 500 'internal_error' whose details are only logged.
 */
export function toErrorResponse(err: unknown, limits?: { maxUploadBytes?: number }): { status: number; body: ErrorBody; headers: Record<string, string>; internal: boolean } {
  if (err instanceof ApiError) return { status: err.status, body: errorBody(err.code, err.message), headers: err.headers, internal: false };
  const e = err as { code?: string; statusCode?: number; message?: string };
  const mapped = e?.code ? FASTIFY_CODES[e.code] : undefined;
  if (mapped) {
    let message = String(e.message ?? 'bad request');
    if (mapped[0] === 413) {
      message = `the upload is too large${limits?.maxUploadBytes ? `: the limit is ${limits.maxUploadBytes} bytes (${(limits.maxUploadBytes / 1048576).toFixed(1)} MiB)` : ''}; send a smaller or downscaled file`;
    } else if (mapped[0] === 415) {
      message = `unsupported content type: ${message.replace(/^Unsupported Media Type:?\s*/i, '') || 'none'}; send the file as multipart/form-data or as a raw body with an image/* (or video/*) content type`;
    }
    return { status: mapped[0], body: errorBody(mapped[1], message), headers: {}, internal: false };
  }
  const status = typeof e?.statusCode === 'number' ? e.statusCode : 500;
  if (status >= 400 && status < 500) {
    return { status, body: errorBody(status === 404 ? 'not_found' : status === 408 ? 'request_timeout' : 'bad_request', String(e.message ?? 'bad request').split('\n')[0]), headers: {}, internal: false };
  }
  return { status: 500, body: errorBody('internal_error', 'internal server error (logged on the server)'), headers: {}, internal: true };
}
