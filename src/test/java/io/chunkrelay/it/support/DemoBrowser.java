package io.chunkrelay.it.support;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import java.util.logging.Level;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.logging.LogEntry;
import org.openqa.selenium.logging.LogType;
import org.openqa.selenium.logging.LoggingPreferences;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The demo chat page in a real headless Chromium (Debian's {@code chromium}, driven through its
 * {@code chromedriver}), with the moves and readings the browser tests need. The binaries are
 * {@code CHUNK_RELAY_TEST_CHROMIUM} and {@code CHUNK_RELAY_TEST_CHROMEDRIVER}, by default {@code
 * /usr/bin/chromium} and {@code /usr/bin/chromedriver}; {@code .ci/run} installs both.
 */
public final class DemoBrowser implements AutoCloseable {
  private static final Duration WAIT = Duration.ofSeconds(60);

  private final ChromeDriver driver;
  private final Path profile;

  private DemoBrowser(ChromeDriver driver, Path profile) {
    this.driver = driver;
    this.profile = profile;
  }

  /** A fresh browser (empty profile, so empty sessionStorage) showing the page at {@code url}. */
  public static DemoBrowser open(String url) throws IOException {
    return open(url, 1440, 1000);
  }

  /** The same in a window of {@code width} x {@code height} pixels. */
  public static DemoBrowser open(String url, int width, int height) throws IOException {
    Path chromium = binary("CHUNK_RELAY_TEST_CHROMIUM", "/usr/bin/chromium");
    Path chromedriver = binary("CHUNK_RELAY_TEST_CHROMEDRIVER", "/usr/bin/chromedriver");
    Path profile = Files.createTempDirectory("chunk-relay-chromium");
    ChromeOptions options = new ChromeOptions();
    options.setBinary(chromium.toFile());
    // As root in a container, without a GPU, and with no network beyond loopback.
    options.addArguments(
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=" + width + "," + height,
        "--user-data-dir=" + profile);
    // The page's console, so a test can show that it logged no error (a failed request, say).
    LoggingPreferences logs = new LoggingPreferences();
    logs.enable(LogType.BROWSER, Level.ALL);
    options.setCapability(ChromeOptions.LOGGING_PREFS, logs);
    ChromeDriverService service =
        new ChromeDriverService.Builder().usingDriverExecutable(chromedriver.toFile()).build();
    ChromeDriver driver = new ChromeDriver(service, options);
    driver.get(url);
    return new DemoBrowser(driver, profile);
  }

  private static Path binary(String setting, String defaultPath) {
    Path path =
        Path.of(
            Optional.ofNullable(System.getenv(setting))
                .or(() -> Optional.ofNullable(System.getProperty(setting)))
                .orElse(defaultPath));
    if (!Files.isExecutable(path)) {
      throw new IllegalStateException(
          path
              + " is missing: install Debian's chromium and chromium-driver (.ci/run does), or set "
              + setting);
    }
    return path;
  }

  /** Types {@code prompt}, sends it, and returns the stream id of the reply once it appears. */
  public String ask(String prompt) {
    int before = turns().size();
    driver.findElement(By.id("prompt")).sendKeys(prompt);
    driver.findElement(By.id("send")).click();
    waitUntil(d -> turns().size() > before);
    return turns().get(turns().size() - 1).getDomAttribute("data-stream");
  }

  /** The reply to the latest prompt as the page shows it, whitespace and all. */
  public String replyText() {
    return latestReply().findElement(By.className("text")).getDomProperty("textContent");
  }

  /** {@code streaming}, {@code complete} or {@code failed}. */
  public String replyState() {
    return latestReply().getDomAttribute("data-state");
  }

  /** The last seq the connection panel shows, 0 before the first chunk. */
  public long lastSeq() {
    String shown = driver.findElement(By.id("last-seq")).getText().trim();
    return shown.matches("\\d+") ? Long.parseLong(shown) : 0;
  }

  public String connectionState() {
    return driver.findElement(By.id("conn-state")).getDomAttribute("data-state");
  }

  public long reconnects() {
    return Long.parseLong(driver.findElement(By.id("reconnects")).getText().trim());
  }

  /** The "no gaps" indicator: {@code true}, {@code false} or {@code none}, and its words. */
  public String gapCheck() {
    WebElement check = driver.findElement(By.id("gaps"));
    return check.getDomAttribute("data-ok") + ": " + check.getText();
  }

  /** The connection panel's event log, newest first. */
  public List<String> events() {
    return driver.findElements(By.cssSelector("#events li")).stream()
        .map(WebElement::getText)
        .toList();
  }

  /** Rows of the audit table: seq, message id, content (as JSON), created at, +ms. */
  @SuppressWarnings("unchecked")
  public List<List<String>> auditRows() {
    // Read in one script: the page re-renders the table while it streams.
    return (List<List<String>>)
        script(
            "return [...document.querySelectorAll('#audit tbody tr')]"
                + ".map(tr => [...tr.cells].map(td => td.textContent));");
  }

  public void clickDrop() {
    driver.findElement(By.id("drop")).click();
  }

  public void clickReload() {
    driver.findElement(By.id("reload")).click();
  }

  /**
   * How many pixels of the latest reply lie under the message box, which stays at the bottom of the
   * window over the conversation: 0 when its newest line can be read.
   */
  public long replyPixelsUnderTheMessageBox() {
    return ((Number)
            script(
                "const replies = document.querySelectorAll('.bubble.assistant');"
                    + "const reply = replies[replies.length - 1].getBoundingClientRect();"
                    + "const box = document.querySelector('#ask').getBoundingClientRect();"
                    + "return Math.max(0, Math.ceil(reply.bottom - box.top));"))
        .longValue();
  }

  /** Whether the latest reply is taller than the window. */
  public boolean replyTallerThanTheWindow() {
    return (Boolean)
        script(
            "const replies = document.querySelectorAll('.bubble.assistant');"
                + "return replies[replies.length - 1].getBoundingClientRect().height"
                + " > window.innerHeight;");
  }

  /** What the page logged to its console as errors since the last call (failed requests too). */
  public List<String> consoleErrors() {
    return driver.manage().logs().get(LogType.BROWSER).getAll().stream()
        .filter(entry -> entry.getLevel().intValue() >= Level.SEVERE.intValue())
        .map(LogEntry::getMessage)
        .toList();
  }

  /** Waits until the reply shows at least {@code seq} chunks. */
  public void awaitSeq(long seq) {
    waitUntil(d -> lastSeq() >= seq);
  }

  public void awaitComplete() {
    waitUntil(d -> "complete".equals(replyState()));
  }

  public void waitUntil(Function<WebDriver, Boolean> condition) {
    new WebDriverWait(driver, WAIT, Duration.ofMillis(50))
        .ignoring(StaleElementReferenceException.class)
        .until(condition);
  }

  /** Saves what the window shows now as a PNG. */
  public void screenshot(Path file) throws IOException {
    Files.createDirectories(file.getParent());
    Files.write(file, driver.getScreenshotAs(OutputType.BYTES));
  }

  /** The page's title. */
  public String title() {
    return driver.getTitle();
  }

  /** Runs a script in the page and returns its result. */
  public Object script(String script) {
    return ((JavascriptExecutor) driver).executeScript(script);
  }

  /** Runs an async script in the page; it answers by calling its last argument. */
  public Object asyncScript(String script) {
    return ((JavascriptExecutor) driver).executeAsyncScript(script);
  }

  private List<WebElement> turns() {
    return driver.findElements(By.cssSelector("article.turn"));
  }

  private WebElement latestReply() {
    List<WebElement> turns = turns();
    return turns.get(turns.size() - 1).findElement(By.cssSelector(".bubble.assistant"));
  }

  @Override
  public void close() throws IOException {
    try {
      driver.quit();
    } finally {
      try (var paths = Files.walk(profile)) {
        for (Path path : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
          Files.deleteIfExists(path);
        }
      }
    }
  }
}
