package io.roomcast.cluster;

import io.vertx.core.eventbus.EventBusOptions;
import io.vertx.core.http.ClientAuth;
import io.vertx.core.net.PfxOptions;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.HexFormat;

/**
 * What a node must hold to be part of a cluster:
 * <ul>
 * <li>the shared {@code secret}. Hazelcast's open-source edition checks only the cluster name when a
 * member joins, so the name is derived from the secret (an HMAC, never the secret itself): a node
 * without it is refused at join and stays a cluster of its own;</li>
 * <li>a certificate the others trust. The event bus, which carries forwarded API calls, captions and
 * events, is TLS with client authentication required, so a node whose certificate is not in the
 * trust store can neither send to nor receive from the others.</li>
 * </ul>
 * The trust store defaults to the key store: one self-signed key pair shared by all nodes trusts itself.
 */
public record ClusterSecurity(String secret, String keyStore, String keyStorePassword, String trustStore,
                              String trustStorePassword) {

    @Override
    public String toString() {
        return "ClusterSecurity[keyStore=" + keyStore + ", trustStore=" + trustStoreOrKeyStore() + "]";
    }

    /** The Hazelcast cluster name: equal on two nodes exactly when their secrets are equal. */
    public String clusterName() {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            byte[] h = mac.doFinal("roomcast-cluster-join".getBytes(StandardCharsets.UTF_8));
            return "roomcast-" + HexFormat.of().formatHex(h, 0, 16);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is part of every JDK", e);
        }
    }

    /** Event-bus options: bound to {@code host}, TLS both ways, a peer must show a trusted certificate. */
    public EventBusOptions eventBusOptions(String host) {
        return new EventBusOptions().setHost(host).setPort(0)
                .setSsl(true)
                .setClientAuth(ClientAuth.REQUIRED)
                .setKeyCertOptions(store(keyStore, keyStorePassword))
                .setTrustOptions(trustStore.isBlank() ? store(keyStore, keyStorePassword) : store(trustStore, trustStorePassword));
    }

    private String trustStoreOrKeyStore() {
        return trustStore.isBlank() ? keyStore : trustStore;
    }

    private static PfxOptions store(String path, String password) {
        return new PfxOptions().setPath(path).setPassword(password);
    }
}
