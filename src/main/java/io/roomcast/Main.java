package io.roomcast;

import io.roomcast.config.Config;
import io.roomcast.config.ConfigException;

import java.nio.file.Path;
import java.util.logging.Logger;

/** {@code java -jar roomcast.jar [--config FILE]}. */
public final class Main {
    private Main() {
    }

    public static void main(String[] args) {
        Path file = null;
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--config") && i + 1 < args.length) {
                file = Path.of(args[++i]);
            } else if (args[i].startsWith("--config=")) {
                file = Path.of(args[i].substring("--config=".length()));
            } else {
                System.err.println("usage: java -jar roomcast.jar [--config FILE]");
                System.exit(2);
            }
        }
        Config config;
        try {
            config = Config.load(file, System.getenv());
        } catch (ConfigException e) {
            System.err.println(e.getMessage());
            System.exit(2);
            return;
        }
        Logger log = Logger.getLogger(Main.class.getName());
        log.info(() -> "configuration: " + config.redacted().encode());
        Roomcast node;
        try {
            node = Roomcast.start(config);
        } catch (Exception e) {
            System.err.println("Roomcast failed to start: " + e.getMessage());
            e.printStackTrace();
            System.exit(1);
            return;
        }
        Runtime.getRuntime().addShutdownHook(new Thread(node::stop, "roomcast-shutdown"));
    }
}
