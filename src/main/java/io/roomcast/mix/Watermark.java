package io.roomcast.mix;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A mark drawn on every picture of an output's composite ({@code config.watermarks}): a line of
 * text, or an image of {@code pipelines/watermarks/} by file name, in a corner, with an opacity.
 */
public record Watermark(Type type, String text, String image, Position position, double opacity) {
    /** Watermarks per output at most. */
    public static final int MAX = 4;
    static final int MAX_TEXT = 100;

    public enum Type {
        TEXT, IMAGE
    }

    public enum Position {
        TOP_LEFT, TOP_RIGHT, BOTTOM_LEFT, BOTTOM_RIGHT;

        public String wire() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }

        static Position of(String wire) {
            for (Position p : values()) if (p.wire().equals(wire)) return p;
            return null;
        }

        public boolean right() {
            return this == TOP_RIGHT || this == BOTTOM_RIGHT;
        }

        public boolean bottom() {
            return this == BOTTOM_LEFT || this == BOTTOM_RIGHT;
        }
    }

    /** The list of a config (absent: none); IllegalArgumentException naming the bad field. */
    public static List<Watermark> parse(Object value) {
        if (value == null) return List.of();
        if (!(value instanceof JsonArray a)) throw new IllegalArgumentException("config.watermarks must be an array");
        if (a.size() > MAX) throw new IllegalArgumentException("config.watermarks takes at most " + MAX + " watermarks");
        List<Watermark> out = new ArrayList<>();
        for (int i = 0; i < a.size(); i++) {
            String at = "config.watermarks[" + i + "].";
            if (!(a.getValue(i) instanceof JsonObject w)) throw new IllegalArgumentException(at.substring(0, at.length() - 1) + " must be an object");
            Type type = "text".equals(w.getValue("type")) ? Type.TEXT : "image".equals(w.getValue("type")) ? Type.IMAGE : null;
            if (type == null) throw new IllegalArgumentException(at + "type must be one of [image, text]");
            String text = null;
            String image = null;
            if (type == Type.TEXT) {
                if (!(w.getValue("text") instanceof String t) || t.isBlank() || t.length() > MAX_TEXT) {
                    throw new IllegalArgumentException(at + "text must be 1 to " + MAX_TEXT + " characters");
                }
                text = t;
            } else {
                if (!(w.getValue("image") instanceof String img) || !img.matches("[A-Za-z0-9][A-Za-z0-9_.-]{0,63}\\.(png|jpg|jpeg)")) {
                    throw new IllegalArgumentException(at + "image must be the name of a .png or .jpg file of pipelines/watermarks/");
                }
                image = img;
            }
            Object pos = w.getValue("position", "bottom-right");
            Position position = pos instanceof String p ? Position.of(p) : null;
            if (position == null) {
                throw new IllegalArgumentException(at + "position must be one of [bottom-left, bottom-right, top-left, top-right]");
            }
            Object op = w.getValue("opacity", 1.0);
            if (!(op instanceof Number n) || n.doubleValue() < 0 || n.doubleValue() > 1) {
                throw new IllegalArgumentException(at + "opacity must be a number from 0 to 1");
            }
            out.add(new Watermark(type, text, image, position, n.doubleValue()));
        }
        return List.copyOf(out);
    }

    public JsonObject toJson() {
        JsonObject j = new JsonObject().put("type", type.name().toLowerCase(Locale.ROOT));
        if (text != null) j.put("text", text);
        if (image != null) j.put("image", image);
        return j.put("position", position.wire()).put("opacity", opacity);
    }
}
