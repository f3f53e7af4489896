package io.chunkrelay.auth;

import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;

/**
 * What a credential lets its holder do: {@code produce} (append, complete), {@code subscribe} (read
 * and follow streams), {@code admin} (metrics and management) and {@code audit} (the audit API: the
 * log's health, producers and verifier findings). No scope implies another.
 */
public enum Scope {
  PRODUCE,
  SUBSCRIBE,
  ADMIN,
  AUDIT;

  /** The scope's name in a token's {@code scope} claim and in the container's role names. */
  public String claimValue() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** The container role that grants this scope for every stream, e.g. {@code chunk-relay-admin}. */
  public String roleName() {
    return switch (this) {
      case PRODUCE -> "chunk-relay-producer";
      case SUBSCRIBE -> "chunk-relay-subscriber";
      case ADMIN -> "chunk-relay-admin";
      case AUDIT -> "chunk-relay-auditor";
    };
  }

  /**
   * The scopes named in a space-separated {@code scope} claim (RFC 8693); names this node does not
   * know are someone else's scopes and grant nothing here.
   */
  static Set<Scope> parse(String claim) {
    Set<Scope> scopes = EnumSet.noneOf(Scope.class);
    for (String word : claim.split(" ")) {
      for (Scope scope : values()) {
        if (scope.claimValue().equals(word)) {
          scopes.add(scope);
        }
      }
    }
    return scopes;
  }
}
