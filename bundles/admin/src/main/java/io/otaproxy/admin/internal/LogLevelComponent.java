package io.otaproxy.admin.internal;

import io.otaproxy.support.internal.Refusals;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.metatype.annotations.Designate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies {@code log_level} (PID {@code io.otaproxy.logging}) to the running log backend, at start and on every
 * edit, so an operator can turn on DEBUG on a running gateway and back off without a restart.
 */
@Component(name = "io.otaproxy.logging", service = {}, immediate = true,
        configurationPid = "io.otaproxy.logging", configurationPolicy = ConfigurationPolicy.REQUIRE)
@Designate(ocd = LoggingConfig.class)
public final class LogLevelComponent {

    private static final Logger LOG = LoggerFactory.getLogger(LogLevelComponent.class);

    private volatile String applied;

    static final String PID = "io.otaproxy.logging";
    static final java.util.List<String> LEVELS = java.util.List.of("trace", "debug", "info", "warn", "error");

    @Activate
    void activate(final LoggingConfig config) {
        // a refused first level leaves the backend's own level in force, which is as good a last good one as any
        if (acceptable(config.log_level(), "keeping the log level in force")) {
            apply(config.log_level());
        }
    }

    @Modified
    void modified(final LoggingConfig config) {
        if (!acceptable(config.log_level(), "keeping log level " + applied)) {
            return;
        }
        if (!config.log_level().equalsIgnoreCase(applied)) {
            apply(config.log_level());
        }
    }

    /** Whether {@code level} is one of the five; a refusal is logged and shown by the admin endpoint. */
    static boolean acceptable(final String level, final String keeping) {
        if (level != null && LEVELS.contains(level.trim().toLowerCase(java.util.Locale.ROOT))) {
            Refusals.accepted(PID);
            return true;
        }
        Refusals.refused(new io.otaproxy.api.config.RefusedConfiguration(PID, "log.level", level,
                "one of " + String.join(", ", LEVELS), System.currentTimeMillis()), keeping);
        return false;
    }

    private void apply(final String level) {
        try {
            final int loggers = LogLevels.apply(level);
            // logged at WARN when lowering the level would hide this line itself
            if (LOG.isInfoEnabled()) {
                LOG.info("Log level {} ({} loggers)", level, loggers);
            } else {
                LOG.warn("Log level {} ({} loggers)", level, loggers);
            }
            applied = level;
        } catch (final IllegalArgumentException | UnsupportedOperationException e) {
            LOG.warn("Cannot apply log_level {}: {}", level, e.getMessage());
        }
    }
}
