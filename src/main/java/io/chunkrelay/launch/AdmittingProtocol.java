package io.chunkrelay.launch;

import org.apache.coyote.http11.Http11NioProtocol;

/**
 * Tomcat's HTTP/1.1 NIO protocol on an {@link AdmittingEndpoint}: per-address connection caps and a
 * deadline for request heads, configured like any connector attribute ({@code
 * maxConnectionsPerAddress}, {@code headerTimeout} in milliseconds).
 */
public class AdmittingProtocol extends Http11NioProtocol {
  private final AdmittingEndpoint admitting;

  public AdmittingProtocol() {
    this(new AdmittingEndpoint());
  }

  private AdmittingProtocol(AdmittingEndpoint endpoint) {
    super(endpoint);
    this.admitting = endpoint;
  }

  public int getMaxConnectionsPerAddress() {
    return admitting.getMaxConnectionsPerAddress();
  }

  public void setMaxConnectionsPerAddress(int max) {
    admitting.setMaxConnectionsPerAddress(max);
  }

  public int getHeaderTimeout() {
    return admitting.getHeaderTimeout();
  }

  public void setHeaderTimeout(int millis) {
    admitting.setHeaderTimeout(millis);
  }

  @Override
  protected String getNamePrefix() {
    return "http-admitting";
  }
}
