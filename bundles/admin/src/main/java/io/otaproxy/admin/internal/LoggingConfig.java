package io.otaproxy.admin.internal;

import org.osgi.service.metatype.annotations.AttributeDefinition;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

/** The log level (PID {@code io.otaproxy.logging}), written from proxy_info.yml's {@code log_level}. */
@ObjectClassDefinition(name = "ota-proxy logging", description = "The level of the proxy's log, applied live.")
@interface LoggingConfig {

    @AttributeDefinition(name = "Log level", description = "trace, debug, info, warn or error (log_level).")
    String log_level() default "info";
}
