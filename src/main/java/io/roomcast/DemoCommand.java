package io.roomcast;

import io.roomcast.api.TokenMinter;
import io.roomcast.config.Config;
import io.roomcast.demo.Demo;

import java.util.concurrent.CountDownLatch;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * {@code java -jar roomcast.jar demo}: a node on the configuration (embedded defaults unless told
 * otherwise) with the demo room running in it, or, with {@code --node URL --token T}, the demo room
 * on a node that runs elsewhere. It runs until Ctrl-C (or for {@code --seconds N}), then finalizes the
 * outputs and stops the node it started.
 */
final class DemoCommand {
    private static final Logger LOG = Logger.getLogger(DemoCommand.class.getName());

    private DemoCommand() {
    }

    /** What the command line asked for: {@code node} null means run a node here. */
    record Options(String node, String token, long seconds, boolean verbose) {
    }

    static int run(Options o, Config config) {
        if (!o.verbose()) Logger.getLogger("").setLevel(Level.WARNING); // the demo's own lines, not the node's log
        Roomcast node = null;
        Demo demo;
        try {
            if (o.node() == null) {
                node = Roomcast.start(config);
                String host = config.str("http.host");
                if (host.equals("0.0.0.0") || host.equals("::")) host = "127.0.0.1";
                String scheme = config.str("http.keyStore").isBlank() ? "http" : "https";
                String token = TokenMinter.mint(config.str("auth.jwtSecret"), "roomcast-demo", null, 24 * 3600);
                boolean embedded = config.str("s3.endpoint").isBlank();
                demo = new Demo(scheme + "://" + host + ":" + node.httpPort(), token,
                        embedded ? config.dataDir().resolve("s3").resolve(config.str("s3.bucket")) : null, System.out);
            } else {
                demo = new Demo(o.node(), o.token(), null, System.out);
            }
        } catch (Exception e) {
            System.err.println("the demo could not start a node: " + e.getMessage());
            if (node != null) node.stop();
            return 1;
        }
        CountDownLatch done = new CountDownLatch(1);
        Roomcast started = node;
        Thread hook = new Thread(() -> {
            // Ctrl-C: finalize the outputs through the API while the node still serves, then stop it.
            end(demo, started);
            done.countDown();
        }, "roomcast-demo-stop");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            demo.start();
            if (o.seconds() > 0) {
                Thread.sleep(o.seconds() * 1000);
            } else {
                done.await();
            }
        } catch (Exception e) {
            System.err.println("the demo failed: " + e.getMessage());
            LOG.log(Level.FINE, "demo", e);
            end(demo, started);
            return 1;
        }
        end(demo, started);
        System.out.println("Demo finished.");
        return 0;
    }

    /** Finalizes the demo's outputs, then stops the node it started (null: none). Both happen once, whoever calls first. */
    private static void end(Demo demo, Roomcast node) {
        try {
            demo.finish();
        } catch (Exception e) {
            System.err.println("ending the demo: " + e.getMessage());
        }
        if (node != null) node.stop();
    }
}
