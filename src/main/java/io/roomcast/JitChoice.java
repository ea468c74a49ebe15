package io.roomcast;

import javax.management.JMException;
import javax.management.ObjectName;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.logging.Logger;

/**
 * Config {@code jvm.jit: c1} (the default): the node's Java code is compiled by the JVM's quick
 * compiler (C1) only. A node's heavy work is native (codecs, Vosk), so the optimizing compiler (C2)
 * buys no steady-state speed here, while its compilations cost about a tenth of a core through the
 * first minute of a call (docs/benchmarks.md, warm-up). {@code java -jar} cannot carry JVM flags such
 * as {@code -XX:TieredStopAtLevel=1}, so this adds a compiler directive at start-up through the JVM's
 * own diagnostic command ({@code Compiler.directives_add}, as {@code jcmd} would): every method is
 * excluded from C2, and HotSpot then compiles a hot method with C1 alone.
 */
final class JitChoice {
    private static final Logger LOG = Logger.getLogger(JitChoice.class.getName());

    private JitChoice() {
    }

    static void apply(String jit) {
        if (!"c1".equals(jit)) return;
        Path directive = null;
        try {
            directive = Files.createTempFile("roomcast-jit", ".json");
            Files.writeString(directive, "[{ match: \"*.*\", c2: { Exclude: true } }]");
            Object answer = ManagementFactory.getPlatformMBeanServer().invoke(new ObjectName("com.sun.management:type=DiagnosticCommand"),
                    "compilerDirectivesAdd", new Object[]{new String[]{directive.toString()}}, new String[]{String[].class.getName()});
            LOG.fine(() -> "JIT: C1 only (" + String.valueOf(answer).trim() + ")");
        } catch (IOException | JMException | RuntimeException e) {
            LOG.warning("could not keep the JIT to C1 (jvm.jit=c1), the JVM's default compilers stay: " + e);
        } finally {
            if (directive != null) {
                try {
                    Files.deleteIfExists(directive);
                } catch (IOException e) {
                    LOG.fine("leaving " + directive + ": " + e);
                }
            }
        }
    }
}
