package io.otaproxy.admin.internal;

import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.util.Locale;
import java.util.Map;

import org.slf4j.ILoggerFactory;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Changes the level of the running slf4j backend. slf4j itself has no call for it; the runnable jar binds
 * slf4j-simple, which reads its level once per logger, so this sets the level of every existing logger and the
 * default for new ones. Loggers given a level of their own by a system property
 * ({@code org.slf4j.simpleLogger.log.<name>}, as the launcher quiets Jetty) keep it. With any other backend the
 * change is refused with a message: the level stays as that backend was set up.
 */
final class LogLevels {

    static final Map<String, Integer> LEVELS = Map.of("trace", 0, "debug", 10, "info", 20, "warn", 30, "error", 40);

    private static final String SIMPLE_FACTORY = "org.slf4j.simple.SimpleLoggerFactory";

    private LogLevels() {
    }

    /**
     * Applies {@code level} to every logger of the backend.
     *
     * @return how many loggers now log at that level
     * @throws IllegalArgumentException for an unknown level
     * @throws UnsupportedOperationException when the backend cannot be changed at runtime
     */
    static int apply(final String level) {
        final Integer value = LEVELS.get(level == null ? "" : level.trim().toLowerCase(Locale.ROOT));
        if (value == null) {
            throw new IllegalArgumentException("unknown log level " + level + "; use one of trace, debug, info,"
                    + " warn, error");
        }
        final ILoggerFactory factory = LoggerFactory.getILoggerFactory();
        if (!factory.getClass().getName().equals(SIMPLE_FACTORY)) {
            throw new UnsupportedOperationException("the logging backend " + factory.getClass().getName()
                    + " has no runtime levels here; configure it directly");
        }
        try {
            final Class<?> loggerClass = factory.getClass().getClassLoader().loadClass("org.slf4j.simple.SimpleLogger");
            final Field config = accessible(loggerClass.getDeclaredField("CONFIG_PARAMS"));
            final Object params = config.get(null);
            if (params != null) {
                accessible(params.getClass().getDeclaredField("defaultLogLevel")).setInt(params, value);
            }
            final Field current = accessible(loggerClass.getDeclaredField("currentLogLevel"));
            final Method ownLevel = loggerClass.getDeclaredMethod("recursivelyComputeLevelString");
            ownLevel.setAccessible(true);
            final Field map = accessible(factory.getClass().getDeclaredField("loggerMap"));
            int changed = 0;
            for (final Object logger : ((Map<?, ?>) map.get(factory)).values()) {
                if (loggerClass.isInstance(logger) && ownLevel.invoke(logger) == null) {
                    current.setInt(logger, value);
                    changed++;
                }
            }
            return changed;
        } catch (final ReflectiveOperationException | RuntimeException e) {
            throw new UnsupportedOperationException("cannot change the levels of slf4j-simple: " + e, e);
        }
    }

    /** Whether {@code logger} logs at {@code level}; for checks and tests. */
    static boolean enabled(final Logger logger, final String level) {
        return switch (level) {
            case "trace" -> logger.isTraceEnabled();
            case "debug" -> logger.isDebugEnabled();
            case "info" -> logger.isInfoEnabled();
            case "warn" -> logger.isWarnEnabled();
            default -> logger.isErrorEnabled();
        };
    }

    private static Field accessible(final Field field) {
        field.setAccessible(true);
        return field;
    }
}
