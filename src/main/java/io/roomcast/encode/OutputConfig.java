package io.roomcast.encode;

import io.roomcast.mix.Watermark;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.List;
import java.util.Set;

/**
 * What one output asks of the pipeline, fully resolved from a preset plus a request's overrides.
 * Two outputs of a room with equal configs share one encoder. {@code participantId} is null for the
 * room's composite; set, the pictures and sound are that one participant's (a participant recording).
 */
public record OutputConfig(String layout, String priority, int gridSize, String theme, boolean audioOnly,
                           int width, int height, int fps, int videoKbps, int audioKbps, int segmentSeconds,
                           String participantId, List<Watermark> watermarks) {
    public static final Set<String> LAYOUTS = Set.of("GRID", "SPOTLIGHT", "SIDEBAR");
    static final Set<String> PRIORITIES = Set.of("SPEAKER", "PIN");
    static final Set<String> THEMES = Set.of("DARK", "LIGHT", "DEFAULT");
    static final Set<String> MODES = Set.of("video-and-audio", "audio");
    static final Set<String> QUALITIES = Set.of("low", "med", "high");
    static final Set<String> ORIENTATIONS = Set.of("landscape", "portrait");

    /**
     * Resolves {@code base} (a preset) with {@code overrides} on top (either may be partial; the
     * preset must be complete after merging). Throws IllegalArgumentException naming a bad field.
     */
    public static OutputConfig resolve(JsonObject base, JsonObject overrides) {
        JsonObject m = base.copy();
        if (overrides != null) {
            for (String k : overrides.fieldNames()) {
                Object v = overrides.getValue(k);
                if (k.equals("layout") && v instanceof JsonObject l && m.getValue("layout") instanceof JsonObject ml) {
                    m.put("layout", ml.copy().mergeIn(l));
                } else {
                    m.put(k, v);
                }
            }
        }
        JsonObject layout = m.getValue("layout") instanceof JsonObject l ? l : null;
        if (layout == null) throw new IllegalArgumentException("config.layout must be an object");
        String type = oneOf(layout, "layout.type", "type", LAYOUTS);
        String priority = oneOf(layout, "layout.priority", "priority", PRIORITIES);
        int gridSize = number(layout, "layout.gridSize", "gridSize", 1, 25);
        String theme = oneOf(m, "theme", "theme", THEMES);
        boolean audio = oneOf(m, "mode", "mode", MODES).equals("audio");
        String quality = oneOf(m, "quality", "quality", QUALITIES);
        boolean portrait = oneOf(m, "orientation", "orientation", ORIENTATIONS).equals("portrait");
        int w = switch (quality) {
            case "low" -> 640;
            case "med" -> 1280;
            default -> 1920;
        };
        int h = w * 9 / 16;
        int fps = number(m, "fps", "fps", 5, 60);
        int vk = number(m, "videoBitrateKbps", "videoBitrateKbps", audio ? 0 : 100, 20_000);
        int ak = number(m, "audioBitrateKbps", "audioBitrateKbps", 32, 320);
        int seg = number(m, "hlsSegmentSeconds", "hlsSegmentSeconds", 1, 10);
        List<Watermark> marks = Watermark.parse(m.getValue("watermarks"));
        if (audio && !marks.isEmpty()) throw new IllegalArgumentException("config.watermarks need a picture: mode is audio");
        return new OutputConfig(type, priority, gridSize, theme, audio, portrait ? h : w, portrait ? w : h, fps, vk, ak, seg, null, marks);
    }

    private static String oneOf(JsonObject o, String name, String key, Set<String> allowed) {
        Object v = o.getValue(key);
        if (!(v instanceof String s) || !allowed.contains(s)) {
            throw new IllegalArgumentException("config." + name + " must be one of " + allowed.stream().sorted().toList());
        }
        return s;
    }

    private static int number(JsonObject o, String name, String key, int min, int max) {
        Object v = o.getValue(key);
        if (!(v instanceof Number n) || n.doubleValue() != Math.rint(n.doubleValue())
                || n.doubleValue() < min || n.doubleValue() > max) {
            throw new IllegalArgumentException("config." + name + " must be a whole number from " + min + " to " + max);
        }
        return n.intValue();
    }

    /** The same, showing and sounding only that participant. */
    public OutputConfig of(String participant) {
        return new OutputConfig(layout, priority, gridSize, theme, audioOnly, width, height, fps, videoKbps, audioKbps,
                segmentSeconds, participant, watermarks);
    }

    public JsonObject toJson() {
        JsonObject j = new JsonObject()
                .put("layout", new JsonObject().put("type", layout).put("priority", priority).put("gridSize", gridSize))
                .put("theme", theme).put("mode", audioOnly ? "audio" : "video-and-audio")
                .put("resolution", audioOnly ? null : width + "x" + height).put("fps", fps)
                .put("videoBitrateKbps", videoKbps).put("audioBitrateKbps", audioKbps).put("hlsSegmentSeconds", segmentSeconds);
        if (!watermarks.isEmpty()) j.put("watermarks", new JsonArray(watermarks.stream().map(Watermark::toJson).toList()));
        return participantId == null ? j : j.put("participantId", participantId);
    }

    /** Frames between keyframes: one per HLS segment, so every segment starts with one. */
    public int gop() {
        return fps * segmentSeconds;
    }
}
