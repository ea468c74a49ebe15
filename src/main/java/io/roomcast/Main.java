package io.roomcast;

import io.roomcast.api.TokenMinter;
import io.roomcast.config.Config;
import io.roomcast.config.ConfigException;

import java.nio.file.Path;
import java.util.logging.Logger;

/**
 * {@code java -jar roomcast.jar [--config FILE]} starts a node;
 * {@code java -jar roomcast.jar token [--room ROOM_ID] [--ttl SECONDS] [--config FILE]} prints an API
 * token signed with the configured secret;
 * {@code java -jar roomcast.jar demo [--seconds N] [--node URL --token T] [--verbose] [--config FILE]} runs
 * the demo room ({@link DemoCommand}).
 */
public final class Main {
    private static final String USAGE = """
            usage: java -jar roomcast.jar [--config FILE]
                   java -jar roomcast.jar token [--room ROOM_ID] [--ttl SECONDS] [--config FILE]
                   java -jar roomcast.jar demo [--seconds N] [--node URL --token TOKEN] [--verbose] [--config FILE]""";

    private Main() {
    }

    public static void main(String[] args) {
        if (System.getProperty("java.util.logging.SimpleFormatter.format") == null) {
            System.setProperty("java.util.logging.SimpleFormatter.format", "%1$tT.%1$tL %4$-7s %3$s - %5$s%6$s%n");
        }
        boolean token = args.length > 0 && args[0].equals("token");
        boolean demo = args.length > 0 && args[0].equals("demo");
        Path file = null;
        String room = null;
        long ttl = 3600;
        String nodeUrl = null;
        String nodeToken = System.getenv("ROOMCAST_TOKEN");
        long seconds = 0;
        boolean verbose = false;
        for (int i = token || demo ? 1 : 0; i < args.length; i++) {
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
            } else if (demo && a.equals("--seconds") && next != null && next.matches("[0-9]{1,7}")) {
                seconds = Long.parseLong(next);
                i++;
            } else if (demo && a.equals("--node") && next != null && next.matches("https?://.+")) {
                nodeUrl = next;
                i++;
            } else if (demo && a.equals("--token") && next != null) {
                nodeToken = next;
                i++;
            } else if (demo && a.equals("--verbose")) {
                verbose = true;
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
        JitChoice.apply(config.str("jvm.jit"));
        if (demo) {
            if (nodeUrl != null && (nodeToken == null || nodeToken.isBlank())) {
                System.err.println("demo --node needs --token TOKEN (or ROOMCAST_TOKEN) with room and output rights on that node");
                System.exit(2);
            }
            System.exit(DemoCommand.run(new DemoCommand.Options(nodeUrl, nodeToken, seconds, verbose), config));
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
