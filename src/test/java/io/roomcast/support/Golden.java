package io.roomcast.support;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Golden JSON: API answers and stored manifests, with what differs from run to run (ids, times,
 * ports, tokens, measured figures) replaced by placeholders, compared with a file kept in
 * {@code src/test/resources/golden/}. The file is written anew with {@code -Dgolden.update=true};
 * otherwise every step must equal it. Ids are numbered in order of first appearance, walking keys
 * sorted, so the same answers give the same text whatever order a map keeps.
 */
public final class Golden {
    private static final Pattern HEX24 = Pattern.compile("\\b[0-9a-f]{24}\\b");
    private static final Pattern ROOM_ID = Pattern.compile("\\b[a-z]{4}-[a-z]{4}-[a-z]{4}\\b");
    private static final Pattern INSTANT = Pattern.compile("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d(\\.\\d+)?Z");
    private static final Pattern HOST_PORT = Pattern.compile("(https?|rtmp)://127\\.0\\.0\\.1:\\d+");
    private static final Pattern QUERY = Pattern.compile("\\?(token|X-Amz-)[^\"\\s]*");
    /** Figures that are measured, not decided: kept as their type only. */
    private static final Set<String> MEASURED = Set.of("size", "duration", "segments", "packets", "bytes", "lost", "jitterMs",
            "framesDecoded", "bytesUploaded", "packetsDropped", "reconnects", "port", "lastPacketAt", "keyframes",
            "gapSeconds", "droppedPackets", "limitReached", "restarts", "sourceChanges", "wrongSource", "late",
            "duplicates", "outOfOrder", "malformed", "framesDropped", "concealed", "keyframeRequests", "resyncs",
            "seq", "start", "end", "startMs", "endMs", "ms", "http", "rtpPort", "lateDropped", "discarded",
            "keyframeRequestsSent", "pictureLossIndications", "firs", "dropped", "held", "packetsLost");

    private final Path file;
    private final boolean update = Boolean.getBoolean("golden.update");
    private final Map<String, String> ids = new LinkedHashMap<>();
    private final JsonObject actual = new JsonObject();

    public Golden(String name) {
        this.file = Path.of("src/test/resources/golden", name + ".json");
    }

    /** Records one step's JSON, normalized. */
    public void step(String name, Object json) {
        name = text(name);
        if (actual.containsKey(name)) throw new IllegalArgumentException("step " + name + " twice");
        actual.put(name, normalize(json, null));
    }

    /** Every step equals the golden file (or the file is written when -Dgolden.update=true). */
    public void verify() throws IOException {
        if (update) {
            Files.createDirectories(file.getParent());
            Files.writeString(file, sorted(actual).encodePrettily() + "\n");
            return;
        }
        if (!Files.exists(file)) throw new AssertionError(file + " is missing: run with -Dgolden.update=true once");
        JsonObject golden = new JsonObject(Files.readString(file));
        List<String> diffs = new ArrayList<>();
        for (String step : new TreeSet<>(golden.fieldNames())) {
            if (!actual.containsKey(step)) diffs.add(step + ": not produced");
            else if (!golden.getValue(step).equals(actual.getValue(step))) {
                diffs.add(step + ":\n  golden: " + encode(golden.getValue(step)) + "\n  actual: " + encode(actual.getValue(step)));
            }
        }
        for (String step : actual.fieldNames()) if (!golden.containsKey(step)) diffs.add(step + ": not in the golden file");
        if (!diffs.isEmpty()) throw new AssertionError("answers differ from " + file + ":\n" + String.join("\n", diffs));
    }

    private static String encode(Object v) {
        return v instanceof JsonObject o ? sorted(o).encode() : v instanceof JsonArray a ? a.encode() : String.valueOf(v);
    }

    private Object normalize(Object v, String key) {
        if (v instanceof JsonObject o) {
            JsonObject out = new JsonObject();
            for (String k : new TreeSet<>(o.fieldNames())) out.put(text(k), normalize(o.getValue(k), k));
            return out;
        }
        if (v instanceof JsonArray a) {
            JsonArray out = new JsonArray();
            for (Object e : a) out.add(normalize(e, key));
            return out;
        }
        if (v instanceof Number n && key != null && MEASURED.contains(key)) {
            return n instanceof Double || n instanceof Float ? "<decimal>" : "<number>";
        }
        if (v instanceof String s) return text(s);
        return v;
    }

    private String text(String s) {
        s = INSTANT.matcher(s).replaceAll("<instant>");
        s = HOST_PORT.matcher(s).replaceAll("$1://<host>");
        s = QUERY.matcher(s).replaceAll("?<$1>");
        s = replaceIds(HEX24, s);
        return replaceIds(ROOM_ID, s);
    }

    private String replaceIds(Pattern p, String s) {
        Matcher m = p.matcher(s);
        StringBuilder sb = new StringBuilder();
        while (m.find()) {
            String name = ids.computeIfAbsent(m.group(), id -> "<id" + (ids.size() + 1) + ">");
            m.appendReplacement(sb, Matcher.quoteReplacement(name));
        }
        m.appendTail(sb);
        return sb.toString();
    }

    private static JsonObject sorted(JsonObject o) {
        JsonObject out = new JsonObject();
        for (String k : new TreeSet<>(o.fieldNames())) {
            Object v = o.getValue(k);
            out.put(k, v instanceof JsonObject j ? sorted(j) : v);
        }
        return out;
    }
}
