package io.otaproxy.itests;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNotNull;
import static org.junit.Assert.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import io.otaproxy.testing.RawHttpClient;

import org.junit.Test;
import org.junit.runner.RunWith;
import org.ops4j.pax.exam.junit.PaxExam;
import org.ops4j.pax.exam.spi.reactors.ExamReactorStrategy;
import org.ops4j.pax.exam.spi.reactors.PerClass;
import org.osgi.framework.Bundle;
import org.osgi.framework.ServiceReference;
import org.osgi.service.component.runtime.ServiceComponentRuntime;
import org.osgi.service.component.runtime.dto.ComponentDescriptionDTO;
import org.osgi.service.metatype.AttributeDefinition;
import org.osgi.service.metatype.MetaTypeInformation;
import org.osgi.service.metatype.MetaTypeService;
import org.osgi.service.metatype.ObjectClassDefinition;

/**
 * What a console sees and may do: every ota-proxy PID described through the MetaType service (the forms of the
 * Felix Web Console are built from it), with ranges and option lists that catch bad values before they are
 * written; and a bad value written anyway, directly into ConfigAdmin, refused by its component with the last good
 * configuration in force, the proxy serving, and the refusal shown by {@code /api/status}.
 */
@RunWith(PaxExam.class)
@ExamReactorStrategy(PerClass.class)
public class ConfigConsolesIT extends ProxyTestSupport {

    private static final List<String> PIDS = List.of("io.otaproxy.proxy", "io.otaproxy.cache", "io.otaproxy.disk",
            "io.otaproxy.logging", "io.otaproxy.admin");

    private ObjectClassDefinition describe(final String pid) {
        final ServiceReference<MetaTypeService> ref = context.getServiceReference(MetaTypeService.class);
        assertNotNull("a MetaType service runs", ref);
        final MetaTypeService metaType = context.getService(ref);
        for (final Bundle bundle : context.getBundles()) {
            final MetaTypeInformation info = metaType.getMetaTypeInformation(bundle);
            if (info != null && Arrays.asList(info.getPids()).contains(pid)) {
                return info.getObjectClassDefinition(pid, null);
            }
        }
        throw new AssertionError("no bundle describes " + pid);
    }

    private static AttributeDefinition attribute(final ObjectClassDefinition ocd, final String id) {
        for (final AttributeDefinition ad : ocd.getAttributeDefinitions(ObjectClassDefinition.ALL)) {
            if (ad.getID().equals(id)) {
                return ad;
            }
        }
        throw new AssertionError(ocd.getID() + " has no attribute " + id);
    }

    @Test
    public void everyPidAndEveryPropertyIsDescribed() {
        for (final String pid : PIDS) {
            final ObjectClassDefinition ocd = describe(pid);
            assertFalse(pid, ocd.getDescription() == null || ocd.getDescription().isBlank());
            for (final AttributeDefinition ad : ocd.getAttributeDefinitions(ObjectClassDefinition.ALL)) {
                assertFalse(pid + " " + ad.getID(), ad.getDescription() == null || ad.getDescription().isBlank());
            }
        }
    }

    @Test
    public void rangesAndOptionListsCatchBadValuesBeforeTheyAreWritten() {
        final ObjectClassDefinition disk = describe("io.otaproxy.disk");
        assertFalse("-5 is not a percentage", attribute(disk, "hard.limit.percent").validate("-5").isEmpty());
        assertEquals("", attribute(disk, "hard.limit.percent").validate("80"));
        final ObjectClassDefinition proxy = describe("io.otaproxy.proxy");
        assertFalse(attribute(proxy, "listen.port").validate("-5").isEmpty());
        assertFalse(attribute(proxy, "max.concurrent.requests").validate("0").isEmpty());
        assertFalse(attribute(describe("io.otaproxy.logging"), "log.level").validate("loud").isEmpty());
        assertEquals("", attribute(describe("io.otaproxy.logging"), "log.level").validate("debug"));
        assertEquals(List.of("lru", "gdsf"),
                Arrays.asList(attribute(describe("io.otaproxy.cache"), "eviction.policy").getOptionValues()));
        assertTrue("the disk monitor's directory is the cache store's alone", Arrays.stream(disk
                .getAttributeDefinitions(ObjectClassDefinition.ALL)).noneMatch(ad -> ad.getID().equals("cache.dir")));
    }

    /**
     * The face a console such as Kura's expects: each PID is the name of the component that consumes it, and its
     * metatype lies in the component's bundle as {@code OSGI-INF/metatype/<pid>.xml}. The proxy's own listener is a
     * factory configuration of Felix HTTP, which describes its factory PID itself.
     */
    @Test
    public void eachPidIsTheNameOfItsComponentWithMetatypeNamedAfterIt() {
        final ServiceReference<ServiceComponentRuntime> ref = context.getServiceReference(ServiceComponentRuntime.class);
        assertNotNull("SCR runs", ref);
        final ServiceComponentRuntime scr = context.getService(ref);
        for (final String pid : PIDS) {
            final ComponentDescriptionDTO component = scr.getComponentDescriptionDTOs().stream()
                    .filter(d -> d.name.equals(pid)).findFirst()
                    .orElseThrow(() -> new AssertionError("no component is named " + pid));
            assertTrue(pid, Arrays.asList(component.configurationPid).contains(pid));
            final Bundle bundle = context.getBundle(component.bundle.id);
            assertNotNull(pid + " metatype in " + bundle.getSymbolicName(),
                    bundle.getEntry("OSGI-INF/metatype/" + pid + ".xml"));
            assertEquals(pid, describe(pid).getID());
        }
        final MetaTypeService metaType = context.getService(context.getServiceReference(MetaTypeService.class));
        final ObjectClassDefinition listener = Arrays.stream(context.getBundles())
                .map(metaType::getMetaTypeInformation)
                .filter(info -> info != null && Arrays.asList(info.getFactoryPids()).contains("org.apache.felix.http"))
                .map(info -> info.getObjectClassDefinition("org.apache.felix.http", null)).findFirst()
                .orElseThrow(() -> new AssertionError("nothing describes the listener's factory PID"));
        assertNotNull("the listener's form has its port",
                Arrays.stream(listener.getAttributeDefinitions(ObjectClassDefinition.ALL))
                        .filter(ad -> ad.getID().equals("org.osgi.service.http.port")).findFirst().orElse(null));
    }

    @Test
    public void aBadDirectEditIsRefusedWholeAndTheLastGoodConfigurationStays() throws Exception {
        origin.put("/kept", new byte[] {1, 2, 3});
        assertEquals(200, RawHttpClient.get(proxyPort(), origin.url("/kept")).status);

        // a negative hard limit would count every measurement as above it and stop all caching
        consoleEdit("io.otaproxy.disk", "hard.limit.percent", -5);
        final String status = awaitStatus(t -> t.contains("\"key\":\"hard.limit.percent\",\"value\":\"-5\""));
        assertTrue(status, status.contains("\"hardLimitPercent\":80"));
        assertFalse(status, status.contains("above_hard"));

        // an invalid rule among valid ones: the whole configuration is refused, not the valid part applied
        final List<String> rules = new ArrayList<>(List.of("127.0.0.1", "10.0.0.0/33"));
        consoleEdit("io.otaproxy.proxy", "allowed.upstreams", rules.toArray(new String[0]));
        consoleEdit("io.otaproxy.proxy", "max.concurrent.requests", 0);
        awaitStatus(t -> t.contains("\"pid\":\"io.otaproxy.proxy\""));

        final RawHttpClient.Response hit = RawHttpClient.get(proxyPort(), origin.url("/kept"));
        assertEquals("the proxy serves on its last good configuration", 200, hit.status);
        assertEquals(3, hit.body.length);

        // valid values withdraw the refusals
        consoleEdit("io.otaproxy.disk", "hard.limit.percent", 90);
        consoleEdit("io.otaproxy.proxy", "allowed.upstreams", new String[0]);
        consoleEdit("io.otaproxy.proxy", "max.concurrent.requests", 64);
        awaitStatus(t -> t.contains("\"refusedConfigurations\":[]") && t.contains("\"hardLimitPercent\":90"));
        assertEquals(200, RawHttpClient.get(proxyPort(), origin.url("/kept")).status);
    }
}
