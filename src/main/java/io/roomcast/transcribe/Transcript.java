package io.roomcast.transcribe;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

import java.util.List;
import java.util.Locale;

/** A finished transcript: speaker-labelled segments with word times, written as JSON, TXT, SRT and VTT. */
public final class Transcript {
    public static final List<String> FORMATS = List.of("json", "txt", "srt", "vtt");

    /** One utterance; times in seconds from the start of the recording. */
    public record Segment(String participantId, String speaker, double start, double end, String text, JsonArray words) {
    }

    /** A message sent during the recording (chat, a question, a poll); {@code at} in seconds from the recording's start. */
    public record Note(String id, String topic, String senderId, String sender, double at, String text) {
    }

    private Transcript() {
    }

    public static String contentType(String format) {
        return switch (format) {
            case "json" -> "application/json";
            case "srt" -> "application/x-subrip; charset=utf-8";
            case "vtt" -> "text/vtt; charset=utf-8";
            default -> "text/plain; charset=utf-8";
        };
    }

    public static String render(String format, JsonObject header, List<Segment> segments) {
        return render(format, header, segments, List.of());
    }

    /** The same with the messages sent meanwhile: in the JSON beside the speech, and in the TXT between its lines. */
    public static String render(String format, JsonObject header, List<Segment> segments, List<Note> notes) {
        return switch (format) {
            case "json" -> json(header, segments, notes).encodePrettily();
            case "txt" -> txt(segments, notes);
            case "srt" -> srt(segments);
            case "vtt" -> vtt(segments);
            default -> throw new IllegalArgumentException(format);
        };
    }

    static JsonObject json(JsonObject header, List<Segment> segments, List<Note> notes) {
        JsonArray out = new JsonArray();
        for (Segment s : segments) {
            out.add(new JsonObject().put("speaker", s.speaker()).put("participantId", s.participantId())
                    .put("start", round(s.start())).put("end", round(s.end())).put("text", s.text()).put("words", s.words()));
        }
        JsonObject json = header.copy().put("segments", out);
        if (notes.isEmpty()) return json;
        JsonArray messages = new JsonArray();
        for (Note n : notes) {
            messages.add(new JsonObject().put("id", n.id()).put("topic", n.topic()).put("senderId", n.senderId())
                    .put("sender", n.sender()).put("at", round(n.at())).put("text", n.text()));
        }
        return json.put("messages", messages);
    }

    /** {@code Speaker: text} per utterance; a message between the lines of its moment, as {@code [TOPIC] Sender: text}. */
    static String txt(List<Segment> segments, List<Note> notes) {
        StringBuilder sb = new StringBuilder();
        int n = 0;
        for (Segment s : segments) {
            for (; n < notes.size() && notes.get(n).at() < s.start(); n++) note(sb, notes.get(n));
            sb.append(s.speaker()).append(": ").append(s.text()).append('\n');
        }
        for (; n < notes.size(); n++) note(sb, notes.get(n));
        return sb.toString();
    }

    private static void note(StringBuilder sb, Note n) {
        sb.append('[').append(n.topic()).append("] ").append(n.sender()).append(": ").append(n.text().replace('\n', ' ')).append('\n');
    }

    static String srt(List<Segment> segments) {
        StringBuilder sb = new StringBuilder();
        int n = 0;
        for (Segment s : segments) {
            sb.append(++n).append('\n').append(time(s.start(), ',')).append(" --> ").append(time(s.end(), ','))
                    .append('\n').append(s.speaker()).append(": ").append(s.text()).append("\n\n");
        }
        return sb.toString();
    }

    static String vtt(List<Segment> segments) {
        StringBuilder sb = new StringBuilder("WEBVTT\n\n");
        for (Segment s : segments) {
            sb.append(time(s.start(), '.')).append(" --> ").append(time(s.end(), '.')).append('\n')
                    .append("<v ").append(escape(s.speaker())).append('>').append(escape(s.text())).append("\n\n");
        }
        return sb.toString();
    }

    /** WebVTT cue text must not carry raw '&', '<' or '>'. */
    public static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }

    /** HH:MM:SS,mmm (SRT) or HH:MM:SS.mmm (WebVTT). */
    public static String time(double seconds, char sep) {
        long ms = Math.max(0, Math.round(seconds * 1000));
        return String.format(Locale.ROOT, "%02d:%02d:%02d%c%03d", ms / 3_600_000, ms / 60_000 % 60, ms / 1000 % 60, sep, ms % 1000);
    }

    static double round(double seconds) {
        return Math.round(seconds * 1000) / 1000.0;
    }
}
