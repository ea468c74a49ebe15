package io.roomcast.api;

import io.roomcast.room.Ids;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.Json;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;

import java.util.List;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Supplier;

/** Reading and checking what a client sent; every refusal is a 400 that names the field. */
final class Requests {
    private final int maxStringLength;
    private final int maxPerPage;

    Requests(int maxStringLength, int maxPerPage) {
        this.maxStringLength = maxStringLength;
        this.maxPerPage = maxPerPage;
    }

    /** The body as a JSON object; an empty body counts as {}. */
    JsonObject body(RoutingContext ctx) {
        String text = ctx.body() == null ? null : ctx.body().asString();
        if (text == null || text.isBlank()) return new JsonObject();
        Object parsed;
        try {
            parsed = Json.decodeValue(text);
        } catch (DecodeException e) {
            throw new ApiException(400, "invalid_json", "the request body is not valid JSON");
        }
        if (!(parsed instanceof JsonObject obj)) {
            throw new ApiException(400, "invalid_json", "the request body must be a JSON object");
        }
        return obj;
    }

    String optString(JsonObject json, String field) {
        Object v = json.getValue(field);
        if (v == null) return null;
        if (!(v instanceof String s)) throw ApiException.badRequest(field + " must be a string");
        if (s.length() > maxStringLength) {
            throw ApiException.badRequest(field + " is longer than " + maxStringLength + " characters");
        }
        return s;
    }

    String requireString(JsonObject json, String field) {
        String s = optString(json, field);
        if (s == null || s.isBlank()) throw ApiException.badRequest(field + " is required");
        return s;
    }

    /** A required id that will appear in URLs and object keys. */
    String requireId(JsonObject json, String field) {
        String s = requireString(json, field);
        checkId(field, s);
        return s;
    }

    /** {@code ?since=}: milliseconds on the session clock (a whole number), -1 when absent. */
    static long sinceMillis(RoutingContext ctx) {
        String since = ctx.request().getParam("since");
        if (since == null || since.isEmpty()) return -1;
        try {
            return Long.parseLong(since);
        } catch (NumberFormatException e) {
            throw ApiException.badRequest("since must be milliseconds on the session clock (a whole number)");
        }
    }

    static String checkId(String field, String value) {
        if (!Ids.isSafe(value)) {
            throw ApiException.badRequest(field + " must be 1-64 letters, digits, '_' or '-' (not starting with '_' or '-')");
        }
        return value;
    }

    JsonObject optObject(JsonObject json, String field) {
        Object v = json.getValue(field);
        if (v == null) return null;
        if (!(v instanceof JsonObject o)) throw ApiException.badRequest(field + " must be an object");
        return o;
    }

    JsonArray requireArray(JsonObject json, String field) {
        Object v = json.getValue(field);
        if (v == null) throw ApiException.badRequest(field + " is required");
        if (!(v instanceof JsonArray a)) throw ApiException.badRequest(field + " must be an array");
        return a;
    }

    /** A whole number in [min, max]; {@code def} when absent (null def = required). */
    long integer(JsonObject json, String field, Long def, long min, long max) {
        Object v = json.getValue(field);
        if (v == null) {
            if (def == null) throw ApiException.badRequest(field + " is required");
            return def;
        }
        if (!(v instanceof Number n) || n.doubleValue() != Math.rint(n.doubleValue())) {
            throw ApiException.badRequest(field + " must be a whole number");
        }
        long l = n.longValue();
        if (l < min || l > max) throw ApiException.badRequest(field + " must be between " + min + " and " + max);
        return l;
    }

    /** One of {@code allowed}; {@code def} when absent (null def = required). */
    String oneOf(JsonObject json, String field, Set<String> allowed, String def) {
        String s = optString(json, field);
        if (s == null) {
            if (def == null) throw ApiException.badRequest(field + " is required, one of " + sorted(allowed));
            return def;
        }
        if (!allowed.contains(s)) throw ApiException.badRequest(field + " must be one of " + sorted(allowed));
        return s;
    }

    /** Runs a field check of a nested object, naming the field by its full path when it fails. */
    static <T> T field(String prefix, Supplier<T> check) {
        try {
            return check.get();
        } catch (RuntimeException e) {
            throw Replies.prefixed(e, prefix);
        }
    }

    /** An optional id field (null when absent). */
    String optId(JsonObject body, String field) {
        String v = optString(body, field);
        return v == null ? null : checkId(field, v);
    }

    private static List<String> sorted(Set<String> s) {
        return s.stream().sorted().toList();
    }

    /** Pagination from {@code ?page=&perPage=}: a 1-based page and a bounded page size. */
    record Page(int page, int perPage) {
        <T> JsonObject of(List<T> all, Function<T, JsonObject> render) {
            int total = all.size();
            int from = (int) Math.min((long) (page - 1) * perPage, total);
            int to = Math.min(from + perPage, total);
            JsonArray data = new JsonArray();
            for (T item : all.subList(from, to)) data.add(render.apply(item));
            int lastPage = Math.max(1, (total + perPage - 1) / perPage);
            return new JsonObject()
                    .put("pageInfo", new JsonObject().put("currentPage", page).put("perPage", perPage)
                            .put("lastPage", lastPage).put("total", total))
                    .put("data", data);
        }
    }

    Page page(RoutingContext ctx) {
        return new Page(queryInt(ctx, "page", 1, 1, 1_000_000), queryInt(ctx, "perPage", 20, 1, maxPerPage));
    }

    /** A whole-number query parameter in [min, max], {@code def} when absent. */
    static int queryInt(RoutingContext ctx, String name, int def, int min, int max) {
        String raw = ctx.request().getParam(name);
        if (raw == null || raw.isEmpty()) return def;
        int v;
        try {
            v = Integer.parseInt(raw);
        } catch (NumberFormatException e) {
            throw ApiException.badRequest(name + " must be a whole number");
        }
        if (v < min || v > max) throw ApiException.badRequest(name + " must be between " + min + " and " + max);
        return v;
    }
}
