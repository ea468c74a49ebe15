package io.roomcast.interop;

import io.roomcast.Roomcast;
import io.roomcast.demo.Demo;
import io.roomcast.support.Browser;
import io.roomcast.support.TestNode;
import io.roomcast.support.Tokens;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The console in a real browser (Debian's headless Chromium through chromium-driver), used as a
 * person would: paste a token, pick the demo room, see its participants, start captions, a recording
 * and HLS with the buttons, watch the live HLS advance with captions coming in, stop the recording
 * and play it from the list. Screenshots are kept under target/console/.
 */
class ConsoleInterop {
    @TempDir
    Path data;
    @TempDir
    Path work;

    final Path shots = Path.of("target", "console");

    @Test
    void aPersonRecordsAndWatchesTheDemoRoomFromTheConsole() throws Exception {
        Files.createDirectories(shots);
        ByteArrayOutputStream demoOut = new ByteArrayOutputStream();
        try (Roomcast node = TestNode.start(data);
             Browser browser = Browser.open(work.resolve("chromium"), 1400, 1800)) {
            String base = "http://127.0.0.1:" + node.httpPort();
            Demo demo = new Demo(base, Tokens.admin(), null, new PrintStream(demoOut, true, StandardCharsets.UTF_8));
            demo.start(false); // the participants only: the outputs are started from the page
            String room = demo.roomId();

            browser.get(base + "/console/");
            waitFor(browser, "the sign-in form", "return !document.getElementById('signin').hidden", Boolean.TRUE::equals);
            browser.screenshot(shots.resolve("1-sign-in.png"));
            browser.type("#token", Tokens.admin());
            browser.click("#tokenForm button");
            waitFor(browser, "the demo room in the list", "return document.querySelector('#rooms [data-room=\"" + room + "\"]') != null",
                    Boolean.TRUE::equals);
            browser.click("#rooms [data-room=\"" + room + "\"]");
            Object names = waitFor(browser, "three participants", "return window.roomcastConsole.participants || []",
                    v -> ((List<?>) v).size() == 3);
            assertTrue(((List<?>) names).containsAll(List.of("Ada Lovelace", "Ben Okafor", "Cleo Martin")), String.valueOf(names));
            waitFor(browser, "track stats with a bitrate", "return [...document.querySelectorAll('#participants td.num')]"
                    + ".some(td => td.textContent.endsWith('kb/s'))", Boolean.TRUE::equals);

            browser.eval("document.getElementById('preset').value = 'grid-360p'; return true");
            browser.click("#outputs tr[data-output=\"captions\"] button[data-act=\"start\"]");
            waitFor(browser, "captions started", "return window.roomcastOutputs.state.captions", "started"::equals);
            browser.click("#outputs tr[data-output=\"recording\"] button[data-act=\"start\"]");
            browser.click("#outputs tr[data-output=\"hls\"] button[data-act=\"start\"]");
            waitFor(browser, "the recording started", "return window.roomcastOutputs.state.recording", "started"::equals);

            // The live HLS plays in the page: the player's video advances.
            String video = "const f = document.getElementById('player'); const v = f.contentDocument && f.contentDocument.getElementById('video');";
            waitFor(browser, "the live HLS playing", video + " return v ? v.currentTime : 0", t -> ((Number) t).doubleValue() > 1.0);
            double at = ((Number) browser.eval(video + " return v.currentTime")).doubleValue();
            Thread.sleep(4000);
            double later = ((Number) browser.eval(video + " return v.currentTime")).doubleValue();
            assertTrue(later > at + 2.5, "the video advanced from " + at + " to " + later + " s in 4 s");

            // Captions come in, speaker by speaker, with the words of the clips.
            Object heard = waitFor(browser, "captions with Ben's words", "return window.roomcastConsole.captions.map(c => c.name + ': ' + c.text).join(' | ')",
                    v -> String.valueOf(v).contains("Ben Okafor: ") && String.valueOf(v).contains("country"));
            browser.screenshot(shots.resolve("2-live.png"));

            browser.click("#outputs tr[data-output=\"recording\"] button[data-act=\"end\"]");
            waitFor(browser, "the recording stopped and listed with a Play button",
                    "return document.querySelector('#recordings tr td.state.stopped') != null && document.querySelector('#recordings button[data-play]') != null",
                    Boolean.TRUE::equals);
            String size = (String) browser.eval("return document.querySelector('#recordings tbody tr td:nth-child(4)').textContent");
            assertTrue(size.endsWith("KB") || size.endsWith("MB"), "size shown with its unit: " + size);
            browser.click("#recordings button[data-play]");
            waitFor(browser, "the recording playing", "return document.getElementById('playback').currentTime",
                    t -> ((Number) t).doubleValue() > 1.0);
            waitFor(browser, "the transcript's download links", "return document.querySelectorAll('#recordings a.transcript').length",
                    n -> ((Number) n).intValue() == 4);
            browser.screenshot(shots.resolve("3-recording.png"));
            Object errors = browser.eval("const e = document.getElementById('error'); return e.hidden ? '' : e.textContent");
            assertEquals("", errors, "no call failed");
            System.out.println("CONSOLE heard: " + heard);
            demo.finish();
        } catch (AssertionError e) {
            Files.writeString(shots.resolve("demo-output.txt"), demoOut.toString(StandardCharsets.UTF_8));
            throw e;
        }
    }

    /** Evaluates {@code script} every 250 ms until {@code done} holds (60 s at most); a screenshot when it never does. */
    static Object waitFor(Browser browser, String what, String script, Predicate<Object> done) throws Exception {
        long deadline = System.currentTimeMillis() + 60_000;
        Object last = null;
        while (System.currentTimeMillis() < deadline) {
            last = browser.eval(script);
            if (last != null && done.test(last)) return last;
            Thread.sleep(250);
        }
        browser.screenshot(Path.of("target", "console", "failed.png"));
        Object page = browser.eval("return {error: document.getElementById('error').textContent, console: JSON.stringify(window.roomcastConsole || null)}");
        throw new AssertionError("never saw " + what + ": last " + last + "; page " + (page instanceof Map<?, ?> m ? m : page));
    }
}
