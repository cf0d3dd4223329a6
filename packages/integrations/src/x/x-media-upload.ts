import type { XEndpoint } from '@conveyor/contracts';
import { XApiError, type XCallAccount, type XMediaUpload } from './x-client';
import type { XAnswer, XHttp } from './x-http';

export interface XMediaUploadSettings {
  /** Bytes per APPEND; X takes up to 5 MB a chunk. */
  chunkBytes: number;
  /** Waits between STATUS polls; abortable. Tests pass one that moves the simulator's clock instead. */
  sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** How long X may take to process a video or GIF (summed waits) before the upload counts as a transient failure. */
  maxProcessingWaitMs: number;
}

/** X's processing_info of a finalized video or GIF. */
interface ProcessingInfo {
  state?: string;
  check_after_secs?: number;
  error?: { message?: string; name?: string };
}

interface MediaData {
  id?: unknown;
  processing_info?: ProcessingInfo;
}

const MIN_POLL_MS = 1000;
const MAX_POLL_MS = 60_000;

/**
 * Uploads one file the way X API v2 asks: an image in one multipart POST /2/media/upload;
 * a video or GIF by POST /2/media/upload/initialize (JSON), /:id/append (multipart chunks with
 * their segment_index) and /:id/finalize, then GET /2/media/upload?command=STATUS until X
 * has processed it, waiting as long as processing_info.check_after_secs says each time.
 */
export class XMediaUploader {
  constructor(
    private readonly http: XHttp,
    private readonly settings: XMediaUploadSettings,
  ) {}

  async upload(account: XCallAccount, media: XMediaUpload, signal?: AbortSignal): Promise<{ mediaId: string }> {
    if (media.bytes.length === 0) throw new XApiError('the media file is empty: there is nothing to upload', 'permanent', 'POST /2/media/upload', 0);
    const chunked = media.category !== 'tweet_image';
    const { id, info } = chunked ? await this.chunked(account, media, signal) : mediaOf(await this.simple(account, media, signal), 'POST /2/media/upload');
    await this.untilProcessed(account, id, info, signal);
    return { mediaId: id };
  }

  private simple(account: XCallAccount, media: XMediaUpload, signal?: AbortSignal): Promise<XAnswer> {
    const form = new FormData();
    form.append('media_category', media.category);
    form.append('media_type', media.mimeType);
    form.append('media', new Blob([media.bytes], { type: media.mimeType }), 'media');
    return this.http.call({ account, endpoint: 'POST /2/media/upload', method: 'POST', path: '/2/media/upload', form, signal });
  }

  private async chunked(account: XCallAccount, media: XMediaUpload, signal?: AbortSignal): Promise<{ id: string; info?: ProcessingInfo }> {
    const init = await this.http.call({
      account,
      endpoint: 'POST /2/media/upload',
      method: 'POST',
      path: '/2/media/upload/initialize',
      json: { media_type: media.mimeType, total_bytes: media.bytes.length, media_category: media.category },
      signal,
    });
    const { id } = mediaOf(init, 'POST /2/media/upload');
    const path = `/2/media/upload/${encodeURIComponent(id)}`;
    const { chunkBytes } = this.settings;
    for (let offset = 0, segment = 0; offset < media.bytes.length; offset += chunkBytes, segment += 1) {
      const form = new FormData();
      form.append('segment_index', String(segment));
      form.append('media', new Blob([media.bytes.subarray(offset, offset + chunkBytes)], { type: 'application/octet-stream' }), 'chunk');
      await this.http.call({ account, endpoint: 'POST /2/media/upload/:id/append', method: 'POST', path: `${path}/append`, form, signal });
    }
    const finalized = await this.http.call({ account, endpoint: 'POST /2/media/upload/:id/finalize', method: 'POST', path: `${path}/finalize`, signal });
    return { id, info: mediaOf(finalized, 'POST /2/media/upload/:id/finalize').info };
  }

  /** Polls STATUS while X is processing, as often as it asks; a failed processing is permanent (the file itself is refused). */
  private async untilProcessed(account: XCallAccount, id: string, first: ProcessingInfo | undefined, signal?: AbortSignal): Promise<void> {
    let info = first;
    let waitedMs = 0;
    while (info && info.state !== 'succeeded') {
      if (info.state === 'failed') {
        const why = info.error?.message ?? info.error?.name ?? 'no reason given';
        throw new XApiError(`X could not process media ${id}: ${why}`, 'permanent', 'GET /2/media/upload', 200);
      }
      const waitMs = Math.min(MAX_POLL_MS, Math.max(MIN_POLL_MS, (info.check_after_secs ?? 1) * 1000));
      if (waitedMs + waitMs > this.settings.maxProcessingWaitMs)
        throw new XApiError(`X is still processing media ${id} after ${Math.round(waitedMs / 1000)} s`, 'transient', 'GET /2/media/upload', 200);
      await this.sleep(waitMs, signal);
      waitedMs += waitMs;
      const status = await this.http.call({
        account,
        endpoint: 'GET /2/media/upload',
        method: 'GET',
        path: '/2/media/upload',
        query: { command: 'STATUS', media_id: id },
        signal,
      });
      info = mediaOf(status, 'GET /2/media/upload').info;
    }
  }

  /** The configured sleep, with an abort passed on as the caller's own reason. */
  private async sleep(ms: number, signal?: AbortSignal): Promise<void> {
    try {
      await this.settings.sleep(ms, signal);
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      throw error;
    }
  }
}

/** The media id and processing state of an upload answer; an answer without an id is X misbehaving (transient). */
function mediaOf(answer: XAnswer, endpoint: XEndpoint): { id: string; info?: ProcessingInfo } {
  const data = answer.body?.data as MediaData | undefined;
  if (typeof data?.id !== 'string' || !data.id) throw new XApiError(`X answered ${endpoint} without a media id`, 'transient', endpoint, answer.status);
  return { id: data.id, info: data.processing_info };
}
