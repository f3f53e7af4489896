package io.chunkrelay.store;

import java.util.List;

/** Up to a page of chunks after some seq, in seq order, with the stream as of the same read. */
public record ChunkPage(StreamInfo stream, List<StoredChunk> chunks) {}
