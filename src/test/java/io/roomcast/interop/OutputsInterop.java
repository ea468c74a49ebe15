package io.roomcast.interop;

import io.roomcast.Roomcast;
import io.roomcast.support.Api;
import io.roomcast.support.JarProcess;
import io.roomcast.support.Media;
import io.roomcast.support.RtpSender;
import io.roomcast.support.TestNode;
import io.roomcast.support.Tokens;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Outputs against Debian-packaged peers (mvn -Pinterop verify; .ci/run installs them): an RTMP push
 * into nginx with libnginx-mod-rtmp, which is restarted mid-push, and the recording and the ended
 * HLS read back by Debian's ffprobe over HTTP.
 */
class OutputsInterop {
    @TempDir
    Path data;
    @TempDir
    Path nginxDir;

    /** nginx with the RTMP module, on its own port and prefix, in the foreground. */
    Process nginx(int port) throws Exception {
        Files.createDirectories(nginxDir.resolve("logs"));
        Files.writeString(nginxDir.resolve("nginx.conf"), """
                load_module /usr/lib/nginx/modules/ngx_rtmp_module.so;
                worker_processes 1;
                pid %s/nginx.pid;
                error_log %s/logs/error.log warn;
                events { worker_connections 64; }
                rtmp {
                    server {
                        listen 127.0.0.1:%d;
                        application live { live on; record off; }
                    }
                }
                """.formatted(nginxDir, nginxDir, port));
        Process p = new ProcessBuilder("nginx", "-p", nginxDir.toString(), "-c", nginxDir.resolve("nginx.conf").toString(),
                "-g", "daemon off;").redirectErrorStream(true).redirectOutput(nginxDir.resolve("logs/out.log").toFile()).start();
        long deadline = System.currentTimeMillis() + 10_000;
        while (System.currentTimeMillis() < deadline) {
            try (Socket s = new Socket("127.0.0.1", port)) {
                return p;
            } catch (IOException e) {
                Thread.sleep(100);
            }
        }
        throw new AssertionError("nginx did not start: " + Files.readString(nginxDir.resolve("logs/out.log")));
    }

    static void stop(Process p) throws InterruptedException {
        p.destroy(); // SIGTERM: nginx's fast shutdown, connections dropped
        if (!p.waitFor(10, TimeUnit.SECONDS)) p.destroyForcibly().waitFor();
    }

    /** Debian's ffprobe: the streams' codec names and the format duration. */
    static String ffprobe(String url) throws Exception {
        Process p = new ProcessBuilder("ffprobe", "-v", "error", "-rw_timeout", "15000000", "-show_entries",
                "stream=codec_name,width,height:format=duration", "-of", "compact", url).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "ffprobe timed out on " + url);
        assertEquals(0, p.exitValue(), "ffprobe " + url + ": " + out);
        return out;
    }

    static double duration(String probe) {
        return Double.parseDouble(probe.replaceAll("(?s).*format\\|duration=([0-9.]+).*", "$1"));
    }

    JsonObject destination(Api api, String room) {
        return api.get("/v2/livestreams?roomId=" + room).json().getJsonArray("data").getJsonObject(0)
                .getJsonArray("outputs").getJsonObject(0);
    }

    String waitStatus(Api api, String room, String want, long ms) throws InterruptedException {
        long deadline = System.currentTimeMillis() + ms;
        String s = "";
        while (!s.equals(want) && System.currentTimeMillis() < deadline) {
            s = destination(api, room).getString("status");
            Thread.sleep(100);
        }
        return s;
    }

    @Test
    void nginxRestartMidPushAndFfprobeReadsRecordingAndHls() throws Exception {
        int rtmpPort = JarProcess.freePort();
        Process server = nginx(rtmpPort);
        try (Roomcast node = TestNode.start(data);
             RtpSender a = RtpSender.opus(node.rtpPort(), 71, 111);
             RtpSender v = RtpSender.video(node.rtpPort(), 72, 96, "vp8", 640, 360).talkingHead()) {
            Api api = new Api(node.httpPort(), Tokens.admin());
            String room = api.post("/v2/rooms", new JsonObject()).json().getString("roomId");
            assertEquals(200, api.post("/v2/rooms/" + room + "/participants", new JsonObject().put("participantId", "eve")
                    .put("name", "Eve").put("tracks", new JsonArray()
                            .add(new JsonObject().put("kind", "audio").put("codec", "opus").put("ssrc", 71).put("payloadType", 111))
                            .add(new JsonObject().put("kind", "video").put("codec", "vp8").put("ssrc", 72).put("payloadType", 96))))
                    .status());
            a.startTestSignal(30);
            v.startTestSignal(30);
            String recId = api.post("/v2/recordings/start", new JsonObject().put("roomId", room).put("preset", "grid-360p"))
                    .json().getString("id");
            JsonObject hls = api.post("/v2/hls/start", new JsonObject().put("roomId", room).put("preset", "grid-360p")).json();
            String url = "rtmp://127.0.0.1:" + rtmpPort + "/live";
            assertEquals(200, api.post("/v2/livestreams/start", new JsonObject().put("roomId", room).put("preset", "grid-360p")
                    .put("outputs", new JsonArray().add(new JsonObject().put("url", url).put("streamKey", "room1")))).status());
            assertEquals("started", waitStatus(api, room, "started", 15_000));
            String pulled = ffprobe(url + "/room1");
            assertTrue(pulled.contains("codec_name=h264") && pulled.contains("codec_name=aac"), pulled);

            stop(server); // the RTMP server restarts
            assertEquals("reconnecting", waitStatus(api, room, "reconnecting", 15_000));
            server = nginx(rtmpPort);
            assertEquals("started", waitStatus(api, room, "started", 40_000));
            assertTrue(destination(api, room).getLong("reconnects") >= 1);
            pulled = ffprobe(url + "/room1");
            assertTrue(pulled.contains("codec_name=h264"), "nginx serves the resumed push: " + pulled);

            api.post("/v2/livestreams/end", new JsonObject().put("roomId", room));
            api.post("/v2/recordings/end", new JsonObject().put("roomId", room));
            api.post("/v2/hls/end", new JsonObject().put("roomId", room));
            long deadline = System.currentTimeMillis() + 30_000;
            JsonObject rec = api.get("/v2/recordings/" + recId).json();
            while (!rec.getString("status").equals("stopped") && System.currentTimeMillis() < deadline) {
                Thread.sleep(200);
                rec = api.get("/v2/recordings/" + recId).json();
            }
            assertEquals("stopped", rec.getString("status"), rec.encode());
            Path mp4 = Media.download(rec.getJsonObject("file").getString("fileUrl"), data.resolve("rec.mp4"));
            String probe = ffprobe(mp4.toString());
            assertTrue(probe.contains("codec_name=h264|width=640|height=360") && probe.contains("codec_name=aac"), probe);
            double recorded = duration(probe);
            assertEquals(rec.getJsonObject("file").getJsonObject("meta").getDouble("duration"), recorded, 0.1);

            deadline = System.currentTimeMillis() + 30_000;
            while (!api.get("/v2/hls?roomId=" + room).json().getJsonArray("data").getJsonObject(0).getString("status").equals("stopped")
                    && System.currentTimeMillis() < deadline) {
                Thread.sleep(200);
            }
            String vod = ffprobe(hls.getString("playbackHlsUrl")); // as the API gives it: absolute, with a viewer token
            assertTrue(vod.contains("codec_name=h264") && vod.contains("codec_name=aac"), vod);
            assertEquals(recorded, duration(vod), 1.5, "the VOD is as long as the recording: " + vod);
        } finally {
            stop(server);
        }
    }

}
