# ONNX protobuf-c bindings, generated at build time from Debian's onnx.proto (libonnx-dev); the schema
# is not copied into the repository. Included from veil_layer(onnx ...) in cmake/layers.cmake.
set(veil_onnx_gen_dir ${CMAKE_BINARY_DIR}/generated/onnx)
get_filename_component(veil_onnx_proto_dir ${ONNX_PROTO} DIRECTORY)
add_custom_command(
  OUTPUT ${veil_onnx_gen_dir}/onnx.pb-c.c ${veil_onnx_gen_dir}/onnx.pb-c.h
  COMMAND ${CMAKE_COMMAND} -E make_directory ${veil_onnx_gen_dir}
  COMMAND ${PROTOC_C} --c_out=${veil_onnx_gen_dir} --proto_path=${veil_onnx_proto_dir} ${ONNX_PROTO}
  DEPENDS ${ONNX_PROTO}
  COMMENT "protoc-c: generating C bindings for onnx.proto"
  VERBATIM)
target_sources(veil_onnx PRIVATE ${veil_onnx_gen_dir}/onnx.pb-c.c)
target_include_directories(veil_onnx PRIVATE ${veil_onnx_gen_dir})
target_link_libraries(veil_onnx PUBLIC PkgConfig::PROTOBUFC)
