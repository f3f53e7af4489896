package io.chunkrelay.store;

import io.chunkrelay.chunk.StreamStatus;
import jakarta.persistence.AttributeConverter;
import jakarta.persistence.Converter;

/**
 * Keeps the schema honest. Stores {@link StreamStatus} as the lowercase word the CHECK constraint
 * and DBAs expect.
 */
@Converter
class StreamStatusConverter implements AttributeConverter<StreamStatus, String> {
  @Override
  public String convertToDatabaseColumn(StreamStatus status) {
    return status == null ? null : status.wireName();
  }

  @Override
  public StreamStatus convertToEntityAttribute(String column) {
    return column == null ? null : StreamStatus.fromWireName(column);
  }
}
