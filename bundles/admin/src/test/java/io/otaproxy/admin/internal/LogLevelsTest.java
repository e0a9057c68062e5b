package io.otaproxy.admin.internal;

import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import org.junit.After;
import org.junit.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Live levels on slf4j-simple, the backend the runnable jar uses (on this test's class path too). */
public final class LogLevelsTest {

    @After
    public void backToInfo() {
        LogLevels.apply("info");
        System.clearProperty("org.slf4j.simpleLogger.log.io.otaproxy.quiet");
    }

    @Test
    public void existingAndNewLoggersFollowTheLevel() {
        final Logger existing = LoggerFactory.getLogger("io.otaproxy.test.existing");
        LogLevels.apply("info");
        assertFalse(existing.isDebugEnabled());
        LogLevels.apply("debug");
        assertTrue(existing.isDebugEnabled());
        assertTrue("a logger made after the change", LoggerFactory.getLogger("io.otaproxy.test.later").isDebugEnabled());
        LogLevels.apply("warn");
        assertFalse(existing.isInfoEnabled());
        assertTrue(existing.isWarnEnabled());
        LogLevels.apply("TRACE");
        assertTrue(existing.isTraceEnabled());
    }

    @Test
    public void aLoggerWithItsOwnLevelKeepsIt() {
        System.setProperty("org.slf4j.simpleLogger.log.io.otaproxy.quiet", "warn");
        final Logger quiet = LoggerFactory.getLogger("io.otaproxy.quiet.Thing");
        LogLevels.apply("debug");
        assertFalse(quiet.isInfoEnabled());
        assertTrue(LoggerFactory.getLogger("io.otaproxy.loud").isDebugEnabled());
    }

    @Test
    public void unknownLevelsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> LogLevels.apply("verbose"));
        assertThrows(IllegalArgumentException.class, () -> LogLevels.apply(null));
    }
}
