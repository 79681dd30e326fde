// What the courses module offers other modules: the catalogue's courses, making a draft e-learning course, and who may see a course.
export { DEMO_AWARENESS_SLUG, DEMO_RESPONDING_SLUG } from './demo';
export { courseBySlug, createInHouseCourse, setCourseRecognition, setEvaluationSettings } from './store';
