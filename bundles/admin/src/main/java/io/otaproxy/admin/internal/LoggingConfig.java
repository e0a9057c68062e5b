package io.otaproxy.admin.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;
import org.osgi.service.metatype.annotations.Option;

/** The log level (PID {@code io.otaproxy.logging}), written from proxy_info.yml's {@code log_level}. */
@ObjectClassDefinition(id = "io.otaproxy.logging", name = "ota-proxy: logging", description = "The level of the proxy's log, applied live."
        + " Normally written from proxy_info.yml; a value set here wins over the file.")
@interface LoggingConfig {

    @AttributeDefinition(name = "Log level", description = "trace, debug, info, warn or error (log_level).",
            options = {@Option(label = "trace", value = "trace"), @Option(label = "debug", value = "debug"),
                @Option(label = "info", value = "info"), @Option(label = "warn", value = "warn"),
                @Option(label = "error", value = "error")})
    String log_level() default "info";
}
