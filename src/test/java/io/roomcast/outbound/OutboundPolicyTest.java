package io.roomcast.outbound;

import io.roomcast.errors.Refusal;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Which destinations may be dialled, with the shipped allow-list (loopback) and with the development switch. */
class OutboundPolicyTest {
    static final Set<String> HTTP = Set.of("http", "https");
    static final String SHIPPED = "127.0.0.1/32,::1/128";

    static String refused(OutboundPolicy p, String url) {
        Refusal r = assertThrows(Refusal.class, () -> p.checkUrl("webhook.url", url, HTTP), url);
        assertEquals("forbidden_address", r.code(), url);
        assertTrue(r.getMessage().contains("webhook.url"), r.getMessage());
        return r.getMessage();
    }

    @Test
    void metadataLinkLocalMulticastAndBroadcastAreNeverDialled() {
        for (boolean devSwitch : new boolean[] {false, true}) {
            OutboundPolicy p = new OutboundPolicy(SHIPPED + ",0.0.0.0/0", devSwitch);
            for (String url : new String[] {"http://169.254.169.254/latest/meta-data/", "http://[fe80::1]/h", "http://224.0.0.1/h",
                    "http://255.255.255.255/h", "http://0.0.0.0/h", "http://metadata.google.internal/computeMetadata/v1/"}) {
                refused(p, url);
            }
        }
    }

    @Test
    void privateAddressesOnlyWhenListed() {
        OutboundPolicy shipped = new OutboundPolicy(SHIPPED, false);
        assertDoesNotThrow(() -> shipped.checkUrl("f", "http://127.0.0.1:8080/h", HTTP));
        assertDoesNotThrow(() -> shipped.checkUrl("f", "http://[::1]/h", HTTP));
        assertDoesNotThrow(() -> shipped.checkUrl("f", "https://hooks.example.com/h", HTTP)); // a name: checked when dialled
        for (String url : new String[] {"http://10.0.0.7/h", "http://192.168.1.1/h", "http://172.16.0.1/h", "http://100.64.0.1/h",
                "http://[fd00::1]/h", "http://127.0.0.2/h"}) {
            assertTrue(refused(shipped, url).contains("outbound.allow"));
        }
        OutboundPolicy office = new OutboundPolicy("10.0.0.0/8", false);
        assertDoesNotThrow(() -> office.checkUrl("f", "http://10.1.2.3/h", HTTP));
        refused(office, "http://127.0.0.1/h");
        assertThrows(IllegalArgumentException.class, () -> new OutboundPolicy("10.0.0.0/33", false));
        assertThrows(IllegalArgumentException.class, () -> new OutboundPolicy("intranet/8", false));
    }

    @Test
    void aNameIsResolvedOnceAndEveryAddressMustBeAllowed() throws Exception {
        // A rebinding name: public at the first lookup, loopback at the next.
        AtomicInteger lookups = new AtomicInteger();
        InetAddress pub = InetAddress.getByName("93.184.216.34");
        InetAddress inside = InetAddress.getByName("127.0.0.1");
        OutboundPolicy p = new OutboundPolicy("", false, host -> lookups.incrementAndGet() == 1
                ? new InetAddress[] {pub} : new InetAddress[] {inside});
        assertEquals(pub, p.resolve("rebind.example"));
        assertEquals(1, lookups.get(), "the checked address is the one dialled: no second lookup");
        // Dialled again later (a retry is a new resolve): the private answer is refused.
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> p.resolve("rebind.example"));
        assertTrue(e.getMessage().contains("127.0.0.1"), e.getMessage());
        // A name with one good and one internal address is refused as a whole.
        OutboundPolicy mixed = new OutboundPolicy("", false, host -> new InetAddress[] {pub, InetAddress.getByName("10.0.0.1")});
        assertThrows(IllegalStateException.class, () -> mixed.resolve("mixed.example"));
    }
}
