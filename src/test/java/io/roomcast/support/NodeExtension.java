package io.roomcast.support;

import io.roomcast.Roomcast;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

import java.io.IOException;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * A real node for a test class: started once before its tests on ephemeral ports with its own data
 * dir (and so its own embedded S3), stopped after them. Register it as a static field
 * ({@code @RegisterExtension static final NodeExtension NODE = NodeExtension.withConfig(o -> ...)})
 * or with {@code @ExtendWith}. Like {@code @TempDir}, it fills the class's static fields of type
 * {@link Roomcast} (the node) and {@link Api} (an admin client) before {@code @BeforeAll} runs;
 * tests may also take them as parameters. Registered on an instance field instead, it gives every
 * test a fresh node in the instance's fields, stopped after that test.
 */
public final class NodeExtension implements BeforeAllCallback, AfterAllCallback, BeforeEachCallback, AfterEachCallback,
        ParameterResolver {
    private final Consumer<Map<String, Object>> overrides;
    private Path data;
    private Roomcast node;
    private Api api;
    /** Registered on an instance field: a fresh node for every test. */
    private boolean perTest;

    public NodeExtension() {
        this(o -> { });
    }

    private NodeExtension(Consumer<Map<String, Object>> overrides) {
        this.overrides = overrides;
    }

    /** A node with config overrides on top of {@link TestNode#defaults}. */
    public static NodeExtension withConfig(Consumer<Map<String, Object>> overrides) {
        return new NodeExtension(overrides);
    }

    @Override
    public void beforeAll(ExtensionContext context) throws Exception {
        start();
        inject(context.getRequiredTestClass(), null);
    }

    @Override
    public void beforeEach(ExtensionContext context) throws Exception {
        if (node != null && !perTest) return; // one node for the class
        perTest = true;
        start();
        inject(context.getRequiredTestClass(), context.getRequiredTestInstance());
    }

    @Override
    public void afterEach(ExtensionContext context) throws IOException {
        if (perTest) stop();
    }

    private void start() throws Exception {
        data = Files.createTempDirectory("roomcast-test-");
        Map<String, Object> o = TestNode.defaults(data);
        overrides.accept(o);
        node = TestNode.start(o);
        api = new Api(node.httpPort(), Tokens.admin());
    }

    /** Fills the static fields (or, for a test instance, the instance fields) of type Roomcast and Api. */
    private void inject(Class<?> testClass, Object instance) throws IllegalAccessException {
        for (Field f : testClass.getDeclaredFields()) {
            if (Modifier.isStatic(f.getModifiers()) == (instance != null) || Modifier.isFinal(f.getModifiers())) continue;
            if (f.getType() == Roomcast.class || f.getType() == Api.class) {
                f.setAccessible(true);
                f.set(instance, f.getType() == Roomcast.class ? node : api);
            }
        }
    }

    @Override
    public void afterAll(ExtensionContext context) throws IOException {
        stop();
    }

    private void stop() throws IOException {
        if (node != null) node.stop();
        node = null;
        if (data != null) {
            try (Stream<Path> all = Files.walk(data)) {
                all.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
            data = null;
        }
    }

    public Roomcast node() {
        return node;
    }

    /** An admin client of the node. */
    public Api api() {
        return api;
    }

    @Override
    public boolean supportsParameter(ParameterContext p, ExtensionContext e) {
        Class<?> t = p.getParameter().getType();
        return t == Roomcast.class || t == Api.class;
    }

    @Override
    public Object resolveParameter(ParameterContext p, ExtensionContext e) {
        return p.getParameter().getType() == Roomcast.class ? node : api;
    }
}
