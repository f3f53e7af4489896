package io.chunkrelay.chunk;

import java.util.List;

/**
 * Keeps promise 2 (gap-free, commit-ordered seqs) visible to readers: a page is a run of seqs
 * without holes. Up to a page of chunks after some seq, in seq order, with the stream as of the
 * same read.
 */
public record ChunkPage(StreamInfo stream, List<StoredChunk> chunks) {}
