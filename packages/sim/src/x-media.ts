import { invalidRequest, type XProblem } from './x-problems';

/** An uploaded (or uploading) media file, as the simulator holds it. */
export interface XMedia {
  id: string;
  media_key: string;
  ownerId: string;
  media_type: string;
  media_category: string;
  total_bytes: number;
  /** Chunks received by segment_index (a simple upload is segment 0). */
  segments: Map<number, number>;
  /** When FINALIZE came (ms); undefined while chunks are still coming. */
  finalizedAt?: number;
}

/** The `processing_info` of a finalized upload: videos and GIFs are processed, images are ready at once. */
export interface XProcessingInfo {
  state: 'pending' | 'in_progress' | 'succeeded';
  check_after_secs?: number;
  progress_percent?: number;
}

const EXPIRES_AFTER_SECS = 86_400;
const processed = (m: XMedia) => m.media_type.startsWith('video/') || m.media_type === 'image/gif';
/** X's media_key prefix: 3 photo, 7 video, 16 animated GIF (amplify_video uploads get 13). */
const keyPrefix = (type: string, category: string) => (category === 'amplify_video' ? 13 : type.startsWith('video/') ? 7 : type === 'image/gif' ? 16 : 3);

/**
 * Media uploads in X API v2's two shapes: one-request upload of an image, and the chunked
 * INITIALIZE / APPEND / FINALIZE / STATUS flow for video. A processed upload is pending, then
 * in progress, then succeeded `processingMs` after FINALIZE, by the simulator's clock.
 */
export class XMediaStore {
  private readonly media = new Map<string, XMedia>();

  constructor(
    private readonly now: () => number,
    private readonly nextId: () => string,
    private readonly processingMs: number,
  ) {}

  get(id: string): XMedia | undefined {
    return this.media.get(id);
  }

  clear(): void {
    this.media.clear();
  }

  /** POST /2/media/upload with the whole file. */
  simple(ownerId: string, bytes: Buffer | undefined, mediaType: string, category: string): XMedia | XProblem {
    if (!bytes?.length) return invalidRequest('The `media` field is required.', 'media');
    const media = this.initialize(ownerId, mediaType, bytes.length, category);
    if ('status' in media) return media;
    media.segments.set(0, bytes.length);
    media.finalizedAt = this.now();
    return media;
  }

  initialize(ownerId: string, mediaType: string, totalBytes: number, category: string): XMedia | XProblem {
    if (!mediaType) return invalidRequest('The `media_type` field is required.', 'media_type');
    if (!Number.isInteger(totalBytes) || totalBytes <= 0) return invalidRequest('The `total_bytes` field must be a positive integer.', 'total_bytes');
    const id = this.nextId();
    const media: XMedia = {
      id,
      media_key: `${keyPrefix(mediaType, category)}_${id}`,
      ownerId,
      media_type: mediaType,
      media_category: category,
      total_bytes: totalBytes,
      segments: new Map(),
    };
    this.media.set(id, media);
    return media;
  }

  append(media: XMedia, segmentIndex: number, bytes: Buffer | undefined): XProblem | undefined {
    if (media.finalizedAt !== undefined) return invalidRequest('The media upload is already finalized.', 'media_id');
    if (!Number.isInteger(segmentIndex) || segmentIndex < 0 || segmentIndex > 999)
      return invalidRequest('The `segment_index` field must be 0-999.', 'segment_index');
    if (!bytes?.length) return invalidRequest('The `media` field is required.', 'media');
    media.segments.set(segmentIndex, bytes.length);
    return undefined;
  }

  finalize(media: XMedia): XProblem | undefined {
    const received = [...media.segments.values()].reduce((a, b) => a + b, 0);
    if (received !== media.total_bytes)
      return invalidRequest(`Segments do not add up to provided total file size (${received} of ${media.total_bytes} bytes).`, 'media_id');
    media.finalizedAt ??= this.now();
    return undefined;
  }

  processingInfo(media: XMedia): XProcessingInfo | undefined {
    if (!processed(media) || media.finalizedAt === undefined) return undefined;
    const elapsed = this.now() - media.finalizedAt;
    if (elapsed >= this.processingMs) return { state: 'succeeded', progress_percent: 100 };
    const left = Math.max(1, Math.ceil((this.processingMs - elapsed) / 1000));
    return elapsed <= 0
      ? { state: 'pending', check_after_secs: left }
      : { state: 'in_progress', check_after_secs: left, progress_percent: Math.floor((100 * elapsed) / this.processingMs) };
  }

  /** Whether a post may carry it: finalized by its owner and, if processed, done processing. */
  usableBy(id: string, userId: string): boolean {
    const media = this.media.get(id);
    if (!media || media.ownerId !== userId || media.finalizedAt === undefined) return false;
    const info = this.processingInfo(media);
    return !info || info.state === 'succeeded';
  }

  /** The `data` of an answer about this upload. */
  describe(media: XMedia): Record<string, unknown> {
    const info = this.processingInfo(media);
    return {
      id: media.id,
      media_key: media.media_key,
      expires_after_secs: EXPIRES_AFTER_SECS,
      ...(media.finalizedAt !== undefined ? { size: media.total_bytes } : {}),
      ...(info ? { processing_info: info } : {}),
    };
  }
}
