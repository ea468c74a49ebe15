package io.roomcast.support;

import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * A page in Debian's headless Chromium, driven by Debian's chromium-driver through Selenium (the
 * interop suite; .ci/run installs both). Nothing is downloaded: both executables are the system's.
 */
public final class Browser implements AutoCloseable {
    private final ChromeDriver driver;

    private Browser(ChromeDriver driver) {
        this.driver = driver;
    }

    public static Browser open(Path profile, int width, int height) throws Exception {
        Files.createDirectories(profile);
        ChromeOptions options = new ChromeOptions();
        options.setBinary("/usr/bin/chromium");
        options.addArguments(Chromium.HEADLESS);
        options.addArguments("--autoplay-policy=no-user-gesture-required", "--window-size=" + width + "," + height,
                "--user-data-dir=" + profile.toAbsolutePath());
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(new File("/usr/bin/chromedriver")).usingAnyFreePort().build();
        ChromeDriver driver = new ChromeDriver(service, options);
        driver.manage().timeouts().scriptTimeout(Duration.ofSeconds(10));
        return new Browser(driver);
    }

    public void get(String url) {
        driver.get(url);
    }

    /** Runs {@code return ...} in the page and gives back what Selenium makes of it (Map, List, Long, Double, String). */
    public Object eval(String script) {
        return ((JavascriptExecutor) driver).executeScript(script);
    }

    /** Clicks the element that {@code css} finds, as a user would. */
    public void click(String css) {
        driver.findElement(By.cssSelector(css)).click();
    }

    /** Types {@code text} into the field that {@code css} finds. */
    public void type(String css, String text) {
        driver.findElement(By.cssSelector(css)).sendKeys(text);
    }

    public Path screenshot(Path file) throws Exception {
        Files.write(file, ((TakesScreenshot) driver).getScreenshotAs(OutputType.BYTES));
        return file;
    }

    @Override
    public void close() {
        driver.quit();
    }
}
