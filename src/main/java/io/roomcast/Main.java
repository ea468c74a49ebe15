package io.roomcast;

import io.roomcast.api.TokenMinter;
import io.roomcast.config.Config;
import io.roomcast.config.ConfigException;

import java.nio.file.Path;
import java.util.logging.Logger;

/**
 * {@code java -jar roomcast.jar [--config FILE]} starts a node;
 * {@code java -jar roomcast.jar token [--room ROOM_ID] [--ttl SECONDS] [--config FILE]} prints an API
 * token signed with the configured secret.
 */
public final class Main {
    private static final String USAGE = """
            usage: java -jar roomcast.jar [--config FILE]
                   java -jar roomcast.jar token [--room ROOM_ID] [--ttl SECONDS] [--config FILE]""";

    private Main() {
    }

    public static void main(String[] args) {
        if (System.getProperty("java.util.logging.SimpleFormatter.format") == null) {
            System.setProperty("java.util.logging.SimpleFormatter.format", "%1$tT.%1$tL %4$-7s %3$s - %5$s%6$s%n");
        }
        boolean token = args.length > 0 && args[0].equals("token");
        Path file = null;
        String room = null;
        long ttl = 3600;
        for (int i = token ? 1 : 0; i < args.length; i++) {
            String a = args[i];
            String next = i + 1 < args.length ? args[i + 1] : null;
            if (a.equals("--config") && next != null) {
                file = Path.of(next);
                i++;
            } else if (token && a.equals("--room") && next != null) {
                room = next;
                i++;
            } else if (token && a.equals("--ttl") && next != null && next.matches("[0-9]{1,9}")) {
                ttl = Long.parseLong(next);
                i++;
            } else {
                System.err.println(USAGE);
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
        if (token) {
            System.out.println(TokenMinter.mint(config.str("auth.jwtSecret"), "roomcast-cli", room, ttl));
            return;
        }
        Logger log = Logger.getLogger(Main.class.getName());
        log.info(() -> "configuration: " + config.redacted().encode());
        Roomcast node;
        try {
            node = Roomcast.start(config);
        } catch (Exception e) {
            log.severe("Roomcast failed to start: " + e);
            System.exit(1);
            return;
        }
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            node.stop();
            // JUL resets its handlers in its own shutdown hook, so this goes straight to stderr.
            System.err.println("Roomcast stopped");
        }, "roomcast-shutdown"));
    }
}
