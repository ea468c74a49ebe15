package io.roomcast.encode;

import io.vertx.core.json.JsonObject;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Logger;

/**
 * Named pipeline presets as data: the ones inside the jar, then every {@code *.json} of the
 * configured folder (which may add presets or replace one of the same name). Each is checked when
 * loaded, so a broken preset stops the start instead of failing a request later.
 */
public final class Presets {
    private static final Logger LOG = Logger.getLogger(Presets.class.getName());
    private static final String[] BUNDLED = {"grid-360p", "grid-720p", "grid-1080p", "spotlight-720p", "sidebar-720p", "audio-only"};

    private final Map<String, JsonObject> presets = new TreeMap<>();
    private final String defaultName;
    /** {@code pipelines/watermarks/}: the images watermarks name. */
    private final Path watermarks;
    private final Map<String, BufferedImage> images = new ConcurrentHashMap<>();

    public Presets(Path dir, String defaultName) {
        this.watermarks = dir == null ? null : dir.resolve("watermarks");
        for (String name : BUNDLED) {
            try (InputStream in = Presets.class.getResourceAsStream("/pipelines/" + name + ".json")) {
                if (in != null) add(name, new JsonObject(new String(in.readAllBytes(), StandardCharsets.UTF_8)));
            } catch (IOException e) {
                throw new IllegalStateException("reading the bundled preset " + name, e);
            }
        }
        if (dir != null && Files.isDirectory(dir)) {
            try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*.json")) {
                for (Path f : files) {
                    String name = f.getFileName().toString().replaceFirst("\\.json$", "");
                    add(name, new JsonObject(Files.readString(f)));
                }
            } catch (IOException | RuntimeException e) {
                throw new IllegalStateException("reading the presets in " + dir + ": " + e.getMessage(), e);
            }
        }
        if (!presets.containsKey(defaultName)) {
            throw new IllegalStateException("the default preset " + defaultName + " is not among " + presets.keySet());
        }
        this.defaultName = defaultName;
        LOG.fine(() -> "pipeline presets: " + presets.keySet());
    }

    private void add(String name, JsonObject preset) {
        try {
            checkImages(OutputConfig.resolve(preset, null));
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException("preset " + name + ": " + e.getMessage());
        }
        presets.put(name, preset);
    }

    public Set<String> names() {
        return presets.keySet();
    }

    /** The named preset (the default for null) with {@code overrides}; IllegalArgumentException when bad. */
    public OutputConfig resolve(String name, JsonObject overrides) {
        JsonObject preset = presets.get(name == null ? defaultName : name);
        if (preset == null) throw new IllegalArgumentException("preset must be one of " + presets.keySet());
        return checkImages(OutputConfig.resolve(preset, overrides));
    }

    /** Every image a config's watermarks name is a file of {@code pipelines/watermarks/}. */
    private OutputConfig checkImages(OutputConfig cfg) {
        for (int i = 0; i < cfg.watermarks().size(); i++) {
            String image = cfg.watermarks().get(i).image();
            if (image != null && (watermarks == null || !Files.isRegularFile(watermarks.resolve(image)))) {
                throw new IllegalArgumentException("config.watermarks[" + i + "].image: there is no " + image + " in pipelines/watermarks/");
            }
        }
        return cfg;
    }

    /**
     * A watermark image of {@code pipelines/watermarks/}, read once (on the media thread that first
     * needs it); null when it cannot be read.
     */
    public BufferedImage watermarkImage(String name) {
        if (watermarks == null) return null;
        return images.computeIfAbsent(name, n -> {
            try {
                return ImageIO.read(watermarks.resolve(n).toFile());
            } catch (IOException e) {
                LOG.warning("watermark image " + n + " cannot be read: " + e.getMessage());
                return null;
            }
        });
    }
}
